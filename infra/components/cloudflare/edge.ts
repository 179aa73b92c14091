import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { dnsRecords, type Edge, rateLimitRules, wafRules, zoneSettings } from "./rules.ts";

export interface EdgeZoneArgs {
  /** The posture's edge section: domain, records, TLS, HSTS, WAF, rate limits, DNSSEC. */
  edge: Edge;
  /**
   * The Cloudflare zone id. The zone itself (and its registrar delegation) is created outside Rampart.
   * @default looked up by `edge.domain` with cloudflare.getZone
   */
  zoneId?: pulumi.Input<string>;
  /** Where the edge came from, for error messages. @default "rampart:posture" */
  source?: string;
}

/**
 * The Cloudflare edge every profile shares: SSL full (strict), minimum TLS, TLS 1.3, HTTPS only,
 * HSTS, DNSSEC, proxied app records, managed WAF and per-path rate limits.
 */
export class EdgeZone extends pulumi.ComponentResource {
  /** The zone the settings were applied to. */
  readonly zoneId: pulumi.Output<string>;
  /** Fully qualified names of the proxied records. */
  readonly hostnames: string[];

  constructor(name: string, args: EdgeZoneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:cloudflare:EdgeZone", name, {}, opts);
    const { edge } = args;
    const settings = zoneSettings(edge, args.source);
    const records = dnsRecords(edge);
    const parent = { parent: this };

    this.zoneId = args.zoneId
      ? pulumi.output(args.zoneId)
      : cloudflare.getZoneOutput({ filter: { name: edge.domain } }, parent).apply((z) => z.id);
    const zoneId = this.zoneId;

    for (const s of settings)
      new cloudflare.ZoneSetting(`${name}-${s.settingId.replace(/_/g, "-")}`, { zoneId, ...s }, parent);

    for (const r of records)
      new cloudflare.DnsRecord(
        `${name}-dns-${r.key}`,
        { zoneId, name: r.name, type: r.type, content: r.content, proxied: true, ttl: 1 },
        parent,
      );

    if (edge.dnssec) new cloudflare.ZoneDnssec(`${name}-dnssec`, { zoneId, status: "active" }, parent);

    const waf = wafRules(edge);
    if (waf.length)
      new cloudflare.Ruleset(
        `${name}-waf`,
        {
          zoneId,
          kind: "zone",
          phase: "http_request_firewall_managed",
          name: "Rampart managed WAF",
          rules: waf,
        },
        parent,
      );

    const limits = rateLimitRules(edge);
    if (limits.length)
      new cloudflare.Ruleset(
        `${name}-ratelimit`,
        { zoneId, kind: "zone", phase: "http_ratelimit", name: "Rampart rate limits", rules: limits },
        parent,
      );

    this.hostnames = records.map((r) => r.name);
    this.registerOutputs({ zoneId: this.zoneId, hostnames: this.hostnames });
  }
}
