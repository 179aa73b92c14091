import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface RegionalLoadBalancerArgs {
  /** Region of every part of the load balancer (regional external Application LB: no global resources). */
  region: string;
  /** VPC holding the proxy-only subnet. */
  network: pulumi.Input<string>;
  /** The Cloud Run service behind it. */
  serviceName: pulumi.Input<string>;
  /**
   * Origin certificate and key (PEM) the edge connects to with SSL full (strict), e.g. a Cloudflare
   * Origin CA certificate. Pass them as Pulumi secrets.
   */
  certificate: { certificate: pulumi.Input<string>; privateKey: pulumi.Input<string> };
  /** Resources to wait for (the proxy-only subnet). @default [] */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * A regional external HTTPS load balancer in front of Cloud Run (serverless NEG): the only ingress the
 * service accepts. Being regional, neither traffic termination nor config leaves the region.
 */
export class RegionalLoadBalancer extends pulumi.ComponentResource {
  /** The public IP the edge's DNS records point at. */
  readonly ipAddress: pulumi.Output<string>;

  constructor(name: string, args: RegionalLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:gcp:RegionalLoadBalancer", name, {}, opts);
    if (!args.region) throw new Error(`${name}: region is required (no default region)`);
    const parent = { parent: this };
    const region = args.region;
    const neg = new gcp.compute.RegionNetworkEndpointGroup(
      `${name}-neg`,
      { region, networkEndpointType: "SERVERLESS", cloudRun: { service: args.serviceName } },
      parent,
    );
    const backend = new gcp.compute.RegionBackendService(
      `${name}-backend`,
      {
        region,
        protocol: "HTTPS",
        loadBalancingScheme: "EXTERNAL_MANAGED",
        backends: [{ group: neg.id, balancingMode: "UTILIZATION", capacityScaler: 1 }],
        logConfig: { enable: true, sampleRate: 1 },
      },
      parent,
    );
    const urlMap = new gcp.compute.RegionUrlMap(
      `${name}-urlmap`,
      { region, defaultService: backend.id },
      parent,
    );
    const cert = new gcp.compute.RegionSslCertificate(
      `${name}-cert`,
      { region, certificate: args.certificate.certificate, privateKey: args.certificate.privateKey },
      parent,
    );
    const proxy = new gcp.compute.RegionTargetHttpsProxy(
      `${name}-https-proxy`,
      { region, urlMap: urlMap.id, sslCertificates: [cert.id] },
      parent,
    );
    const ip = new gcp.compute.Address(
      `${name}-ip`,
      { region, addressType: "EXTERNAL", networkTier: "PREMIUM" },
      parent,
    );
    new gcp.compute.ForwardingRule(
      `${name}-https`,
      {
        region,
        ipAddress: ip.address,
        ipProtocol: "TCP",
        portRange: "443",
        loadBalancingScheme: "EXTERNAL_MANAGED",
        networkTier: "PREMIUM",
        network: args.network,
        target: proxy.id,
      },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    this.ipAddress = ip.address;
    this.registerOutputs({ ipAddress: this.ipAddress });
  }
}
