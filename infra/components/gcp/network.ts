import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface PrivateNetworkArgs {
  /** Region of the subnets. Required: there is no default region. */
  region: string;
  /** Primary subnet for workloads (Cloud Run direct VPC egress, jobs). @default "10.10.0.0/24" */
  subnetCidr?: string;
  /** Proxy-only subnet for the regional external load balancer in front of Cloud Run. @default "10.10.1.0/24" */
  proxySubnetCidr?: string;
  /** Prefix length of the range reserved for private service access (Cloud SQL). @default 20 */
  serviceRangePrefix?: number;
}

/** Restricted Google APIs VIP range (private.googleapis.com) that workloads may still reach. */
export const GOOGLE_APIS_RANGE = "199.36.153.8/30";

/**
 * A custom-mode VPC (the project's default network is never used), one regional subnet with private
 * Google access and flow logs, private service access for Cloud SQL, and a firewall that denies all
 * egress except Google APIs and the private service range.
 */
export class PrivateNetwork extends pulumi.ComponentResource {
  readonly network: gcp.compute.Network;
  readonly subnet: gcp.compute.Subnetwork;
  /** Proxy-only subnet the regional load balancer needs before its forwarding rule can exist. */
  readonly proxySubnet: gcp.compute.Subnetwork;
  /** Completes when Cloud SQL can get a private IP in this network. */
  readonly serviceConnection: gcp.servicenetworking.Connection;

  constructor(name: string, args: PrivateNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:gcp:PrivateNetwork", name, {}, opts);
    if (!args.region) throw new Error(`${name}: region is required (no default region)`);
    const parent = { parent: this };
    this.network = new gcp.compute.Network(
      `${name}-vpc`,
      { autoCreateSubnetworks: false, routingMode: "REGIONAL", deleteDefaultRoutesOnCreate: false },
      parent,
    );
    this.subnet = new gcp.compute.Subnetwork(
      `${name}-subnet`,
      {
        network: this.network.id,
        region: args.region,
        ipCidrRange: args.subnetCidr ?? "10.10.0.0/24",
        privateIpGoogleAccess: true,
        logConfig: {
          aggregationInterval: "INTERVAL_5_SEC",
          flowSampling: 0.5,
          metadata: "INCLUDE_ALL_METADATA",
        },
      },
      parent,
    );
    this.proxySubnet = new gcp.compute.Subnetwork(
      `${name}-proxy-subnet`,
      {
        network: this.network.id,
        region: args.region,
        ipCidrRange: args.proxySubnetCidr ?? "10.10.1.0/24",
        purpose: "REGIONAL_MANAGED_PROXY",
        role: "ACTIVE",
      },
      parent,
    );
    const serviceRange = new gcp.compute.GlobalAddress(
      `${name}-service-range`,
      {
        network: this.network.id,
        purpose: "VPC_PEERING",
        addressType: "INTERNAL",
        prefixLength: args.serviceRangePrefix ?? 20,
      },
      parent,
    );
    this.serviceConnection = new gcp.servicenetworking.Connection(
      `${name}-service-access`,
      {
        network: this.network.id,
        service: "servicenetworking.googleapis.com",
        reservedPeeringRanges: [serviceRange.name],
      },
      parent,
    );
    const serviceCidr = pulumi.interpolate`${serviceRange.address}/${serviceRange.prefixLength}`;
    new gcp.compute.Firewall(
      `${name}-egress-allow`,
      {
        network: this.network.id,
        direction: "EGRESS",
        priority: 1000,
        destinationRanges: [GOOGLE_APIS_RANGE, serviceCidr],
        allows: [{ protocol: "tcp", ports: ["443", "5432"] }],
        logConfig: { metadata: "INCLUDE_ALL_METADATA" },
      },
      parent,
    );
    new gcp.compute.Firewall(
      `${name}-egress-deny`,
      {
        network: this.network.id,
        direction: "EGRESS",
        priority: 65_000,
        destinationRanges: ["0.0.0.0/0"],
        denies: [{ protocol: "all" }],
        logConfig: { metadata: "INCLUDE_ALL_METADATA" },
      },
      parent,
    );
    this.registerOutputs({ network: this.network.id, subnet: this.subnet.id });
  }
}
