import * as cloudflare from "@pulumi/cloudflare";
import { describe, expect, it } from "vitest";
import { EdgeZone } from "../../../infra/components/cloudflare/edge.ts";
import {
  MANAGED_RULESETS,
  rateLimitRules,
  zoneSettings,
} from "../../../infra/components/cloudflare/rules.ts";
import { loadPosture } from "../../../posture/index.ts";
import { ofType, recordProgram, tokenOf } from "../../support/pulumi-mocks.ts";

const edgeOf = (stack: string) => {
  const e = loadPosture(stack).edge;
  if (!e) throw new Error(`${stack} has no edge`);
  return e;
};

describe("EdgeZone", () => {
  it("applies the Zurich posture's TLS, HTTPS, HSTS, DNSSEC, WAF and rate limits", async () => {
    const edge = edgeOf("gcp-zurich");
    const rs = await recordProgram(() => new EdgeZone("edge", { edge, zoneId: "z1" }));
    const settings = Object.fromEntries(
      ofType(rs, tokenOf(cloudflare.ZoneSetting)).map((s) => [s.inputs.settingId, s.inputs.value]),
    );
    expect(settings).toEqual({
      ssl: "strict",
      min_tls_version: "1.3",
      tls_1_3: "on",
      always_use_https: "on",
      automatic_https_rewrites: "on",
      security_header: {
        strictTransportSecurity: {
          enabled: true,
          maxAge: 63_072_000,
          includeSubdomains: true,
          preload: true,
          nosniff: true,
        },
      },
    });
    for (const r of rs.filter((r) => r.type.startsWith("cloudflare:"))) expect(r.inputs.zoneId).toBe("z1");
    expect(ofType(rs, tokenOf(cloudflare.ZoneDnssec))[0]?.inputs.status).toBe("active");
    const records = ofType(rs, tokenOf(cloudflare.DnsRecord)).map((r) => [r.inputs.name, r.inputs.proxied]);
    expect(records.sort()).toEqual([
      ["app.numezis.com", true],
      ["numezis.com", true],
      ["www.numezis.com", true],
    ]);
    const rulesets = Object.fromEntries(
      ofType(rs, tokenOf(cloudflare.Ruleset)).map((r) => [r.inputs.phase, r.inputs.rules]),
    );
    expect(rulesets.http_request_firewall_managed).toEqual([
      expect.objectContaining({ action: "execute", actionParameters: { id: MANAGED_RULESETS.cloudflare } }),
      expect.objectContaining({ action: "execute", actionParameters: { id: MANAGED_RULESETS.owasp } }),
    ]);
    expect(rulesets.http_ratelimit).toEqual([
      expect.objectContaining({
        expression: 'starts_with(http.request.uri.path, "/login")',
        ratelimit: expect.objectContaining({ period: 60, requestsPerPeriod: 10, mitigationTimeout: 600 }),
      }),
      expect.objectContaining({
        expression: 'starts_with(http.request.uri.path, "/api/")',
        ratelimit: expect.objectContaining({ period: 60, requestsPerPeriod: 600, mitigationTimeout: 60 }),
      }),
    ]);
  });

  it("looks the zone up by the posture's domain when no zone id is given", async () => {
    const edge = edgeOf("gcp-mumbai");
    const asked: unknown[] = [];
    const rs = await recordProgram(() => new EdgeZone("edge", { edge }), {
      invokes: {
        "cloudflare:index/getZone:getZone": (a) => {
          asked.push(a.filter);
          return { id: "zone-aurex" };
        },
      },
    });
    expect(asked).toEqual([{ name: "aurexerp.com" }]);
    const min = ofType(rs, tokenOf(cloudflare.ZoneSetting)).find(
      (s) => s.inputs.settingId === "min_tls_version",
    );
    expect(min?.inputs).toMatchObject({ zoneId: "zone-aurex", value: "1.2" });
  });

  it("fails on an unexpected invoke instead of mocking it silently", async () => {
    const edge = edgeOf("gcp-mumbai");
    await expect(recordProgram(() => new EdgeZone("edge", { edge }))).rejects.toThrow(/unexpected invoke/);
  });

  it("rejects TLS 1.3 minimum with TLS 1.3 off, and escapes paths in rule expressions", () => {
    const edge = edgeOf("gcp-zurich");
    expect(() => zoneSettings({ ...edge, tls13: false }, "stacks/x.yaml")).toThrow(/tls13: is false/);
    const rules = rateLimitRules({
      ...edge,
      rateLimits: [{ path: '/a"b\\', requests: 1, periodSeconds: 10, mitigationSeconds: 10 }],
    });
    expect(rules[0]?.expression).toBe('starts_with(http.request.uri.path, "/a\\"b\\\\")');
  });
});
