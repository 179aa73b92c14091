import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { createLocalJWKSet, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { loadPosture } from "../../../../posture/index.ts";
import { createLogger } from "../../../../scripts/lib/log.ts";
import type { AuditEvent } from "../../../../scripts/lib/rotation/audit.ts";
import { type EngineDeps, rotate } from "../../../../scripts/lib/rotation/engine.ts";
import { jwksName, parseJwks } from "../../../../scripts/lib/rotation/jwt.ts";
import { pick, runSelection } from "../../../../scripts/lib/rotation/plan.ts";
import { EnvFileSecretStore } from "../../../../scripts/lib/secrets/env-file.ts";
import { rotationStack } from "../../../support/stacks.ts";

const MIN = 60_000;
const spec = {
  kind: "jwt-signing-key",
  algorithm: "ES256",
  tokenLifetimeMinutes: 15,
  verifierCacheMinutes: 10,
  overlapMinutes: 30,
};

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "rampart-jwt-"));
  const posture = loadPosture(rotationStack(dir, { "session-key": spec }));
  const store = new EnvFileSecretStore(pathToFileURL(join(dir, "secrets.env")).href);
  let t = Date.parse("2026-03-01T00:00:00Z");
  const events: AuditEvent[] = [];
  const logs = new PassThrough();
  const deps: EngineDeps = {
    store,
    posture,
    log: createLogger({ stream: logs, json: true }),
    now: () => new Date(t),
    emergency: false,
    audit: async (e) => {
      events.push(e);
    },
  };
  return { deps, store, posture, events, advance: (ms: number) => (t += ms), now: () => t };
}

async function sign(
  store: EnvFileSecretStore,
  iat: number,
  stage: "current" | "previous" = "current",
): Promise<string> {
  const jwk = JSON.parse((await store.get("session-key", stage)) as string) as JWK;
  return new SignJWT({ sub: "user-1" })
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid as string })
    .setIssuedAt(Math.floor(iat / 1000))
    .setExpirationTime(Math.floor(iat / 1000) + 15 * 60)
    .sign(await importJWK(jwk, "ES256"));
}

async function verifies(store: EnvFileSecretStore, token: string, at: number): Promise<boolean> {
  const jwks = createLocalJWKSet({ keys: parseJwks(await store.get(jwksName("session-key"))) });
  return jwtVerify(token, jwks, { currentDate: new Date(at) }).then(
    () => true,
    () => false,
  );
}

const kids = async (store: EnvFileSecretStore) =>
  parseJwks(await store.get(jwksName("session-key"))).map((k) => k.kid);

describe("JWT signing key rotation", () => {
  it("publishes first, signs after the overlap, removes the old key after token lifetime + cache", async () => {
    const { deps, store, events, advance, now } = setup();
    // First rotation: no key signs yet, so there is nothing to overlap with: it goes straight through.
    expect((await rotate(deps, "session-key", pick(deps.posture, "session-key").spec, "start")).outcome).toBe(
      "rotated",
    );
    advance(30 * MIN);
    const k1 = JSON.parse((await store.get("session-key")) as string).kid as string;
    expect(await kids(store)).toEqual([k1]);

    const oldToken = await sign(store, now());
    advance(5 * MIN);
    // Rotation 2: create/set/test run, then it waits — the new key is published, the old one still signs.
    const r = await rotate(deps, "session-key", pick(deps.posture, "session-key").spec, "start");
    expect(r.outcome).toBe("waiting");
    expect(r.reason).toMatch(/verifiers may cache the old JWKS until/);
    const k2 = (await store.state("session-key"))?.data.kid as string;
    expect(await kids(store)).toEqual([k1, k2]);
    expect(JSON.parse((await store.get("session-key")) as string).kid).toBe(k1);
    expect(await verifies(store, oldToken, now())).toBe(true);

    // Not yet: 29 minutes after publishing it still waits.
    advance(29 * MIN);
    expect(
      (await rotate(deps, "session-key", pick(deps.posture, "session-key").spec, "continue")).outcome,
    ).toBe("waiting");
    advance(1 * MIN);
    expect(
      (await rotate(deps, "session-key", pick(deps.posture, "session-key").spec, "continue")).outcome,
    ).toBe("rotated");
    expect(JSON.parse((await store.get("session-key")) as string).kid).toBe(k2);
    // The old key stays published (marked for retirement) so a token signed just before the switch verifies.
    expect(await kids(store)).toEqual([k2, k1]);
    const lastOldToken = await sign(store, now(), "previous");
    expect(await verifies(store, lastOldToken, now() + 14 * MIN)).toBe(true);

    // A --due run before lifetime + cache (25 min) keeps it; after, removes it.
    advance(24 * MIN);
    await runSelection(deps, deps.posture, { mode: "due" });
    expect(await kids(store)).toEqual([k2, k1]);
    advance(2 * MIN);
    await runSelection(deps, deps.posture, { mode: "due" });
    expect(await kids(store)).toEqual([k2]);
    expect(await verifies(store, lastOldToken, now())).toBe(false);

    expect(events.filter((e) => e.step === "finish").length).toBe(2);
    expect(JSON.stringify(events)).not.toMatch(/"d":/);
  });

  it("emergency mode promotes at once and drops the old key from the JWKS", async () => {
    const { deps, store, advance, now } = setup();
    const s = pick(deps.posture, "session-key").spec;
    await rotate({ ...deps, emergency: true }, "session-key", s, "start");
    const stolen = await sign(store, now());
    advance(MIN);
    expect((await rotate({ ...deps, emergency: true }, "session-key", s, "either")).outcome).toBe("rotated");
    expect(await kids(store)).toHaveLength(1);
    expect(await verifies(store, stolen, now())).toBe(false);
  });
});
