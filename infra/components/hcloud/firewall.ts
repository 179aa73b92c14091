import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { hcloudId } from "./id.ts";

export type FirewallRule = {
  direction: "in";
  protocol: "tcp";
  port: string;
  sourceIps: string[];
  description: string;
};

const ANYWHERE = ["0.0.0.0/0", "::/0"];

/**
 * Inbound rules: HTTPS from anywhere, SSH only from the admin CIDRs and no SSH rule at all when there
 * are none. A Hetzner Cloud Firewall drops everything not listed; outbound is left open (package
 * updates, S3, Secrets Manager, SES). It sits outside the server, so Docker's iptables cannot bypass it.
 */
export function firewallRules(adminCidrs: readonly string[]): FirewallRule[] {
  return [
    { direction: "in", protocol: "tcp", port: "443", sourceIps: ANYWHERE, description: "HTTPS" },
    ...(adminCidrs.length
      ? [
          {
            direction: "in" as const,
            protocol: "tcp" as const,
            port: "22",
            sourceIps: [...adminCidrs],
            description: "SSH from compute.adminCidrs",
          },
        ]
      : []),
  ];
}

export interface ServerFirewallArgs {
  /** Physical name. */
  firewallName: string;
  /** posture compute.adminCidrs: SSH sources; empty = no SSH. */
  adminCidrs: readonly string[];
  /** Labels. @default {} */
  labels?: Record<string, string>;
}

/** The Hetzner Cloud Firewall in front of the server. */
export class ServerFirewall extends pulumi.ComponentResource {
  readonly id: pulumi.Output<number>;

  constructor(name: string, args: ServerFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:hcloud:ServerFirewall", name, {}, opts);
    const fw = new hcloud.Firewall(
      `${name}-firewall`,
      { name: args.firewallName, rules: firewallRules(args.adminCidrs), labels: args.labels ?? {} },
      { parent: this },
    );
    this.id = fw.id.apply(hcloudId);
    this.registerOutputs({ id: this.id });
  }
}
