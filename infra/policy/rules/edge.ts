// Cloudflare edge: edge.tls-min, edge.https-only, edge.hsts, edge.dnssec, edge.waf, edge.rate-limit.
import * as cloudflare from "@pulumi/cloudflare";
import type { Posture } from "../../../posture/index.ts";
import { MANAGED_RULESETS } from "../../components/cloudflare/rules.ts";
import { checker, ofType } from "../finding.ts";
import { at, num, records, str } from "../props.ts";
import { tokenOf } from "../tokens.ts";
import type { Finding, StackRule, Subject } from "../types.ts";

const T = {
  setting: tokenOf(cloudflare.ZoneSetting),
  dnssec: tokenOf(cloudflare.ZoneDnssec),
  ruleset: tokenOf(cloudflare.Ruleset),
} as const;

type Expect = ReturnType<typeof checker>;
type Edge = NonNullable<Posture["edge"]>;

function stackRule(
  claim: string,
  description: string,
  check: (rs: readonly Subject[], edge: Edge, rule: StackRule) => Finding[],
): StackRule {
  const rule: StackRule = {
    kind: "stack",
    name: `${claim}.cloudflare`,
    claim,
    description,
    check: (rs, p) => (p.edge ? check(rs, p.edge, rule) : []),
  };
  return rule;
}

/** Check one zone setting by id; a missing setting is a stack-level violation. */
function setting(
  rs: readonly Subject[],
  rule: StackRule,
  id: string,
  ok: (v: unknown) => boolean,
  proves: string,
  fix: string,
): Finding {
  const s = ofType(rs, T.setting).find((r) => r.props.settingId === id);
  const expect: Expect = checker(rule, s ?? null);
  const v = s?.props.value;
  return expect(s ? "value" : `(zone setting ${id})`, v, s !== undefined && ok(v), {
    proves,
    problem: s ? `${id} is ${JSON.stringify(v)}` : `no ZoneSetting ${id}: Cloudflare's default applies`,
    fix,
  });
}

const TLS_ORDER = ["1.0", "1.1", "1.2", "1.3"];
export const edgeTlsMin = stackRule(
  "edge.tls-min",
  "minimum TLS version and TLS 1.3 as the posture says",
  (rs, edge, rule) => [
    setting(
      rs,
      rule,
      "min_tls_version",
      (v) => TLS_ORDER.indexOf(String(v)) >= TLS_ORDER.indexOf(edge.minTls),
      `TLS ${edge.minTls} or newer required`,
      `set ZoneSetting min_tls_version to "${edge.minTls}"`,
    ),
    ...(edge.tls13
      ? [
          setting(
            rs,
            rule,
            "tls_1_3",
            (v) => v === "on" || v === "zrt",
            "TLS 1.3 enabled",
            'set ZoneSetting tls_1_3 to "on"',
          ),
        ]
      : []),
  ],
);

export const edgeHttpsOnly = stackRule(
  "edge.https-only",
  "HTTPS redirect, rewrites and full (strict) origin TLS",
  (rs, _edge, rule) => [
    setting(
      rs,
      rule,
      "always_use_https",
      (v) => v === "on",
      "plain HTTP is redirected to HTTPS",
      'set ZoneSetting always_use_https to "on"',
    ),
    setting(
      rs,
      rule,
      "automatic_https_rewrites",
      (v) => v === "on",
      "mixed-content links are rewritten to HTTPS",
      'set ZoneSetting automatic_https_rewrites to "on"',
    ),
    setting(
      rs,
      rule,
      "ssl",
      (v) => v === "strict",
      "the edge verifies the origin certificate (full strict)",
      'set ZoneSetting ssl to "strict"',
    ),
  ],
);

export const edgeHsts = stackRule(
  "edge.hsts",
  "HSTS header with the posture's max-age, subdomains and preload",
  (rs, edge, rule) => {
    const h = edge.hsts;
    return [
      setting(
        rs,
        rule,
        "security_header",
        (v) => {
          const sts = at(v, "strictTransportSecurity");
          return (
            at(sts, "enabled") === true &&
            (num(at(sts, "maxAge")) ?? 0) >= h.maxAgeSeconds &&
            (!h.includeSubdomains || at(sts, "includeSubdomains") === true) &&
            (!h.preload || at(sts, "preload") === true)
          );
        },
        `HSTS max-age ${h.maxAgeSeconds}${h.includeSubdomains ? ", includeSubDomains" : ""}${h.preload ? ", preload" : ""}`,
        `set ZoneSetting security_header value.strictTransportSecurity { enabled: true, maxAge: ${h.maxAgeSeconds}, includeSubdomains: ${h.includeSubdomains}, preload: ${h.preload} }`,
      ),
    ];
  },
);

export const edgeDnssec = stackRule("edge.dnssec", "DNSSEC is active on the zone", (rs, edge, rule) => {
  const z = ofType(rs, T.dnssec)[0];
  return [
    checker(rule, z ?? null)(z ? "status" : "(ZoneDnssec)", z?.props.status, z?.props.status === "active", {
      proves: `DNS answers for ${edge.domain} are signed`,
      problem: z ? `ZoneDnssec status is ${JSON.stringify(z.props.status)}` : "no ZoneDnssec resource",
      fix: 'add cloudflare.ZoneDnssec with status: "active"',
    }),
  ];
});

const rulesIn = (rs: readonly Subject[], phase: string) =>
  ofType(rs, T.ruleset).filter((r) => r.props.phase === phase);

export const edgeWaf = stackRule(
  "edge.waf",
  "Cloudflare managed (and OWASP) rulesets execute on every request",
  (rs, edge, rule) => {
    const sets = rulesIn(rs, "http_request_firewall_managed");
    const executed = sets.flatMap((s) =>
      records(s.props.rules)
        .filter((r) => r.action === "execute" && r.enabled !== false)
        .map((r) => ({ set: s, id: str(at(r, "actionParameters.id")) })),
    );
    const want = [
      ["Cloudflare Managed Ruleset", MANAGED_RULESETS.cloudflare],
      ...(edge.waf.owasp ? [["OWASP Core Ruleset", MANAGED_RULESETS.owasp]] : []),
    ] as const;
    return want.map(([label, id]) => {
      const hit = executed.find((e) => e.id === id);
      return checker(rule, hit?.set ?? sets[0] ?? null)(
        "rules[execute].actionParameters.id",
        hit?.id ?? null,
        hit !== undefined,
        {
          proves: `${label} executes (phase http_request_firewall_managed)`,
          problem: `the ${label} is not deployed`,
          fix: `add a Ruleset in phase http_request_firewall_managed executing ${id}`,
        },
      );
    });
  },
);

export const edgeRateLimit = stackRule(
  "edge.rate-limit",
  "per-IP rate limits for the posture's paths",
  (rs, edge, rule) => {
    const sets = rulesIn(rs, "http_ratelimit");
    const rules = sets.flatMap((s) => records(s.props.rules).map((r) => ({ set: s, r })));
    return edge.rateLimits.map((limit) => {
      const hit = rules.find(
        ({ r }) =>
          (str(r.expression) ?? "").includes(`"${limit.path}"`) &&
          (num(at(r, "ratelimit.requestsPerPeriod")) ?? Number.POSITIVE_INFINITY) <= limit.requests &&
          num(at(r, "ratelimit.period")) === limit.periodSeconds,
      );
      return checker(rule, hit?.set ?? sets[0] ?? null)(
        `rules[${limit.path}].ratelimit`,
        hit ? at(hit.r, "ratelimit") : null,
        hit !== undefined,
        {
          proves: `${limit.path} limited to ${limit.requests} requests per ${limit.periodSeconds} s per IP`,
          problem: `no rate limit of ${limit.requests}/${limit.periodSeconds} s for ${limit.path}`,
          fix: "add the rule to a Ruleset in phase http_ratelimit (infra/components/cloudflare/rules.ts rateLimitRules)",
        },
      );
    });
  },
);

export const EDGE_RULES = [edgeTlsMin, edgeHttpsOnly, edgeHsts, edgeDnssec, edgeWaf, edgeRateLimit];
