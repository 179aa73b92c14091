import { z } from "zod";
import { positiveInt, url } from "./common.ts";

const base = { intervalDays: z.number().int().min(1).max(730).default(90) };

export const rotatedSecret = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("postgres-password"),
    ...base,
    /** The two login roles that alternate (current/inactive). */
    roles: z.tuple([z.string(), z.string()]).default(["app_a", "app_b"]),
    /** Group role holding all grants, so the two logins never drift. */
    group: z.string().default("app"),
  }),
  z.strictObject({
    kind: z.literal("jwt-signing-key"),
    ...base,
    algorithm: z.enum(["ES256", "EdDSA", "RS256"]).default("ES256"),
    tokenLifetimeMinutes: positiveInt.default(15),
    verifierCacheMinutes: positiveInt.default(10),
    /** Publish-before-sign overlap; must be >= token lifetime + verifier cache. */
    overlapMinutes: positiveInt.default(60),
  }),
  z.strictObject({ kind: z.literal("age-identity"), ...base }),
  z.strictObject({
    kind: z.literal("api-key"),
    ...base,
    /** HTTP check that proves a pasted key works; the key is sent in `header`. */
    check: z.strictObject({
      url,
      header: z.string().default("Authorization"),
      prefix: z.string().default("Bearer "),
      expectStatus: z.number().int().min(100).max(599).default(200),
    }),
  }),
]);
export type RotatedSecret = z.infer<typeof rotatedSecret>;

export const rotation = z.strictObject({
  /** Secret name (in the stack's secret store) -> how it is rotated. */
  secrets: z.record(z.string().regex(/^[A-Za-z0-9_\-.]{1,64}$/), rotatedSecret).default({}),
});
