import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from "jose";
import { UserError } from "../../../posture/errors.ts";
import type { RotatedSecret } from "../../../posture/schema/rotation.ts";
import { registerSecret } from "../redact.ts";
import { type RotationKind, RotationTestFailed } from "./types.ts";

type Spec = Extract<RotatedSecret, { kind: "jwt-signing-key" }>;
/** A published key; `rampart_retire_after` marks a key that no longer signs (verifiers ignore it). */
type PublishedKey = JWK & { rampart_retire_after?: string };

const MINUTE = 60_000;
/** The JWKS document is published as its own secret next to the signing key. */
export const jwksName = (name: string) => `${name}.jwks`;
/** Publish-before-sign overlap: never shorter than a token's life plus how long verifiers cache the JWKS. */
export const overlapMs = (s: Spec) =>
  Math.max(s.overlapMinutes, s.tokenLifetimeMinutes + s.verifierCacheMinutes) * MINUTE;
/** How long a retired key keeps verifying: tokens it signed live tokenLifetime, caches hold it verifierCache. */
const retireMs = (s: Spec) => (s.tokenLifetimeMinutes + s.verifierCacheMinutes) * MINUTE;

function parsePrivate(value: string | undefined, name: string): JWK | undefined {
  if (value === undefined) return undefined;
  registerSecret(value);
  try {
    const jwk = JSON.parse(value) as JWK;
    if (typeof jwk.kid === "string" && typeof jwk.d === "string") {
      registerSecret(jwk.d);
      return jwk;
    }
  } catch {}
  throw new UserError(`secret ${name} is not a JWT signing key`, {
    hint: "expected a private JWK with a kid",
  });
}

function publicPart(jwk: JWK): PublishedKey {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

export function parseJwks(text: string | undefined): PublishedKey[] {
  if (!text) return [];
  return (JSON.parse(text) as { keys?: PublishedKey[] }).keys ?? [];
}

/**
 * JWT signing key: `<name>` holds the private JWK that signs (read by the app), `<name>.jwks` the public
 * JWKS verifiers fetch. A new key is published first and signs only after the overlap; a retired key
 * stays in the JWKS until every token it signed has expired and every verifier cache has refreshed.
 */
export const jwtSigningKey: RotationKind<Spec> = {
  unattended: true,

  async create(ctx) {
    const { privateKey } = await generateKeyPair(ctx.spec.algorithm, { extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(jwk);
    registerSecret(jwk.d);
    const value = JSON.stringify({ ...jwk, kid, alg: ctx.spec.algorithm, use: "sig" });
    return { value, data: { kid } };
  },

  async set(ctx) {
    await publishJwks(ctx);
    return { publishedAt: ctx.state.data.publishedAt ?? ctx.now().toISOString() };
  },

  async test(ctx, pending) {
    const jwk = parsePrivate(pending, ctx.name) as JWK;
    const key = await importJWK(jwk, ctx.spec.algorithm);
    const token = await new SignJWT({ probe: true })
      .setProtectedHeader({ alg: ctx.spec.algorithm, kid: jwk.kid as string })
      .setIssuedAt()
      .setExpirationTime("1m")
      .sign(key);
    const jwks = parseJwks(await ctx.store.get(jwksName(ctx.name)));
    try {
      await jwtVerify(token, createLocalJWKSet({ keys: jwks }));
    } catch (err) {
      throw new RotationTestFailed(
        `a token signed with the new key does not verify against the published JWKS: ${(err as Error).message}`,
      );
    }
  },

  waitReason(ctx) {
    const published = Date.parse(ctx.state.data.publishedAt ?? "");
    const ready = published + overlapMs(ctx.spec);
    if (Number.isNaN(published) || ctx.now().getTime() >= ready) return undefined;
    return `the new key (kid ${ctx.state.data.kid}) was published at ${new Date(published).toISOString()}; verifiers may cache the old JWKS until ${new Date(ready).toISOString()} — run \`rampart rotate ${ctx.name} --resume\` (or the scheduled --due) after that`;
  },

  sync: publishJwks,
};

/** Rebuild the JWKS: current + pending keys, plus retired keys until their retire-after time passes. */
async function publishJwks(ctx: Parameters<NonNullable<RotationKind<Spec>["sync"]>>[0]): Promise<string[]> {
  const now = ctx.now();
  const current = parsePrivate(await ctx.store.get(ctx.name), ctx.name);
  const pending = (await ctx.store.state(ctx.name))
    ? parsePrivate(await ctx.store.get(ctx.name, "pending"), ctx.name)
    : undefined;
  const old = parseJwks(await ctx.store.get(jwksName(ctx.name)));
  const live = [current, pending].flatMap((k) => (k ? [publicPart(k)] : []));
  const liveKids = new Set(live.map((k) => k.kid));
  const notes: string[] = [];
  const retired = old.flatMap((k): PublishedKey[] => {
    if (liveKids.has(k.kid)) return [];
    const retireAfter = k.rampart_retire_after ?? new Date(now.getTime() + retireMs(ctx.spec)).toISOString();
    if (ctx.emergency || Date.parse(retireAfter) <= now.getTime()) {
      notes.push(`removed key ${k.kid} from ${jwksName(ctx.name)}`);
      return [];
    }
    return [{ ...k, rampart_retire_after: retireAfter }];
  });
  const next = JSON.stringify({ keys: [...live, ...retired] });
  if (next !== JSON.stringify({ keys: old })) await ctx.store.put(jwksName(ctx.name), next);
  return notes;
}
