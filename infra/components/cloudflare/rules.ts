// Pure builders for the Cloudflare edge: what the zone must look like, from the posture's edge section.
// No Pulumi here, so every promise is unit-tested on plain data.
import { ConfigError, type Posture } from "../../../posture/index.ts";

export type Edge = NonNullable<Posture["edge"]>;
export type ZoneSettingSpec = { settingId: string; value: string | Record<string, unknown> };

/** Cloudflare's own managed WAF rulesets (stable ids published by Cloudflare, the same for every zone). */
export const MANAGED_RULESETS = {
  cloudflare: "efb7b8c949ac4650a09736fc376e9aee",
  owasp: "4814384a9e5d4991b9815dcfc25d2f1f",
} as const;

/** The TLS, HTTPS and HSTS settings the security page promises, one Cloudflare zone setting each. */
export function zoneSettings(edge: Edge, source = "rampart:posture"): ZoneSettingSpec[] {
  if (edge.minTls === "1.3" && !edge.tls13)
    throw new ConfigError(
      source,
      [`${source}: rampart:posture.edge.tls13: is false but minTls is "1.3"; no client could connect`],
      'set edge.tls13: true or edge.minTls: "1.2"',
    );
  return [
    { settingId: "ssl", value: "strict" },
    { settingId: "min_tls_version", value: edge.minTls },
    { settingId: "tls_1_3", value: edge.tls13 ? "on" : "off" },
    { settingId: "always_use_https", value: "on" },
    { settingId: "automatic_https_rewrites", value: "on" },
    {
      settingId: "security_header",
      value: {
        strictTransportSecurity: {
          enabled: edge.hsts.maxAgeSeconds > 0,
          maxAge: edge.hsts.maxAgeSeconds,
          includeSubdomains: edge.hsts.includeSubdomains,
          preload: edge.hsts.preload,
          nosniff: true,
        },
      },
    },
  ];
}

export type DnsRecordSpec = { key: string; name: string; type: "A" | "AAAA" | "CNAME"; content: string };

/** Proxied records for the app; "@" is the apex. The record type follows the target (IPv4, IPv6 or hostname). */
export function dnsRecords(edge: Edge): DnsRecordSpec[] {
  return Object.entries(edge.records)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, content]) => ({
      key: label === "@" ? "apex" : label.replace(/[^a-z0-9-]/gi, "-"),
      name: label === "@" ? edge.domain : `${label}.${edge.domain}`,
      type: /^\d{1,3}(\.\d{1,3}){3}$/.test(content) ? "A" : content.includes(":") ? "AAAA" : "CNAME",
      content,
    }));
}

/** A string literal in the Cloudflare Rules language. */
const literal = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

export type RuleSpec = {
  action: string;
  description: string;
  expression: string;
  actionParameters?: { id: string };
  ratelimit?: {
    characteristics: string[];
    period: number;
    requestsPerPeriod: number;
    mitigationTimeout: number;
  };
};

/** Managed WAF rules (http_request_firewall_managed): Cloudflare Managed Ruleset and OWASP core ruleset. */
export function wafRules(edge: Edge): RuleSpec[] {
  const managed = [
    [edge.waf.managed, "Cloudflare Managed Ruleset", MANAGED_RULESETS.cloudflare],
    [edge.waf.owasp, "Cloudflare OWASP Core Ruleset", MANAGED_RULESETS.owasp],
  ] as const;
  return managed
    .filter(([on]) => on)
    .map(([, description, id]) => ({
      action: "execute",
      description,
      expression: "true",
      actionParameters: { id },
    }));
}

/** Per-IP rate limits (http_ratelimit) for the posture's paths, e.g. login and API. */
export function rateLimitRules(edge: Edge): RuleSpec[] {
  return edge.rateLimits.map((r) => ({
    action: "block",
    description: `rate limit ${r.path}: ${r.requests} requests / ${r.periodSeconds}s per IP`,
    expression: `starts_with(http.request.uri.path, ${literal(r.path)})`,
    ratelimit: {
      characteristics: ["ip.src", "cf.colo.id"],
      period: r.periodSeconds,
      requestsPerPeriod: r.requests,
      mitigationTimeout: r.mitigationSeconds,
    },
  }));
}
