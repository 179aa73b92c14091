import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { Posture } from "../../../posture/index.ts";

export interface AppServiceArgs {
  /** Region the service runs in. Required. */
  region: string;
  /** The posture's compute section: image, port, min/max instances, cpu, memory. */
  compute: Posture["compute"];
  /** VPC and subnet for direct VPC egress to the private database. */
  network: { network: pulumi.Input<string>; subnetwork: pulumi.Input<string> };
  /** Service name and service account id (<= 30 chars). */
  serviceName: string;
  /** Labels on the service. @default {} */
  labels?: Record<string, string>;
}

/**
 * The application on Cloud Run, pinned to the region, running as its own service account with no
 * project roles, reachable only through the load balancer in front of it (ingress internal + LB).
 */
export class AppService extends pulumi.ComponentResource {
  readonly service: gcp.cloudrunv2.Service;
  readonly serviceAccount: gcp.serviceaccount.Account;

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:gcp:AppService", name, {}, opts);
    if (!args.region) throw new Error(`${name}: region is required (no default region)`);
    const c = args.compute;
    this.serviceAccount = new gcp.serviceaccount.Account(
      `${name}-sa`,
      { accountId: args.serviceName.slice(0, 30), displayName: "Application (Cloud Run)" },
      { parent: this },
    );
    this.service = new gcp.cloudrunv2.Service(
      `${name}-service`,
      {
        name: args.serviceName,
        location: args.region,
        ingress: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
        // Only the load balancer can reach the service (ingress), so no per-request IAM check is needed.
        invokerIamDisabled: true,
        deletionProtection: true,
        labels: args.labels ?? {},
        scaling: { minInstanceCount: c.minInstances, maxInstanceCount: c.maxInstances },
        template: {
          serviceAccount: this.serviceAccount.email,
          scaling: { minInstanceCount: c.minInstances, maxInstanceCount: c.maxInstances },
          vpcAccess: {
            egress: "PRIVATE_RANGES_ONLY",
            networkInterfaces: [{ network: args.network.network, subnetwork: args.network.subnetwork }],
          },
          containers: [
            {
              image: c.image,
              ports: { containerPort: c.port },
              resources: { limits: { cpu: c.cpu, memory: `${c.memoryMb}Mi` } },
            },
          ],
        },
      },
      { parent: this },
    );
    this.registerOutputs({ service: this.service.name, serviceAccount: this.serviceAccount.email });
  }
}
