import { z } from "zod";
import { positiveInt } from "./common.ts";

const hostname = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
  message: "is not a DNS domain",
});

export const rateLimit = z.strictObject({
  /** Path prefix the rule matches, e.g. "/login" or "/api/". */
  path: z.string().startsWith("/"),
  /** Requests allowed per client IP per period. */
  requests: positiveInt,
  periodSeconds: z.union([
    z.literal(10),
    z.literal(60),
    z.literal(120),
    z.literal(300),
    z.literal(600),
    z.literal(3600),
  ]),
  /** How long a client stays blocked once over the limit. */
  mitigationSeconds: positiveInt.default(600),
});

export const edge = z.strictObject({
  provider: z.literal("cloudflare").default("cloudflare"),
  /** The apex domain (Cloudflare zone). */
  domain: hostname,
  /** Proxied DNS records pointing at the app: name -> target (hostname or IP). "@" is the apex. */
  records: z.record(z.string(), z.string()).default({}),
  minTls: z.enum(["1.2", "1.3"]).default("1.2"),
  tls13: z.boolean().default(true),
  hsts: z
    .strictObject({
      maxAgeSeconds: z.number().int().min(0).default(31_536_000),
      includeSubdomains: z.boolean().default(true),
      preload: z.boolean().default(false),
    })
    .prefault({}),
  waf: z.strictObject({ managed: z.boolean().default(true), owasp: z.boolean().default(true) }).prefault({}),
  rateLimits: z.array(rateLimit).default([]),
  dnssec: z.boolean().default(true),
});
