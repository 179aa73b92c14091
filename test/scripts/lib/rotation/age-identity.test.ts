import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPosture } from "../../../../posture/index.ts";
import {
  decryptStream,
  encryptStream,
  identityToRecipient,
  parseIdentities,
} from "../../../../scripts/lib/age.ts";
import { createLogger } from "../../../../scripts/lib/log.ts";
import { manifestKey } from "../../../../scripts/lib/manifest.ts";
import { currentRecipients, recipientsName } from "../../../../scripts/lib/rotation/age-identity.ts";
import { type EngineDeps, rotate } from "../../../../scripts/lib/rotation/engine.ts";
import { pick, runSelection } from "../../../../scripts/lib/rotation/plan.ts";
import { EnvFileSecretStore } from "../../../../scripts/lib/secrets/env-file.ts";
import { rotationStack } from "../../../support/stacks.ts";

const DAY = 86_400_000;
const NAME = "rampart-age-identity";

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "rampart-age-"));
  mkdirSync(join(dir, "backups"));
  // Retention: the longest kept backup is 7 days old.
  const posture = loadPosture(
    rotationStack(
      dir,
      { [NAME]: { kind: "age-identity", intervalDays: 90 } },
      { "backups.retention": { keepAllHours: 24, daily: 7, weekly: 0, monthly: 0 } },
    ),
  );
  const store = new EnvFileSecretStore(pathToFileURL(join(dir, "secrets.env")).href);
  let t = Date.parse("2026-03-01T00:00:00Z");
  const deps: EngineDeps = {
    store,
    posture,
    log: createLogger({ stream: new PassThrough(), json: true }),
    now: () => new Date(t),
    emergency: false,
    audit: async () => {},
  };
  return { dir, deps, store, posture, advance: (ms: number) => (t += ms) };
}

const encryptTo = async (recipients: string[], text: string) =>
  buffer(Readable.from([Buffer.from(text)]).pipe(await encryptStream(recipients)));
const decryptWith = async (identities: string[], data: Buffer) =>
  (await buffer(Readable.from([data]).pipe(await decryptStream(identities)))).toString();

/** A minimal, schema-valid backup whose manifest lists `recipient`, so the catalog sees it as retained. */
function writeBackup(dir: string, recipient: string): void {
  const id = "20260301T000000Z-shop-abcd";
  const root = join(dir, "backups", id);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "dump.pgc.zst.age"), "x");
  const manifest = {
    version: 1,
    id,
    stack: "rotation-test",
    database: "shop",
    serverVersion: "15",
    pgDumpVersion: "15",
    snapshotTime: "2026-03-01T00:00:00.000Z",
    startedAt: "2026-03-01T00:00:00.000Z",
    finishedAt: "2026-03-01T00:00:01.000Z",
    object: `${id}/dump.pgc.zst.age`,
    rawBytes: 1,
    storedBytes: 1,
    sha256: "0".repeat(64),
    compression: { algorithm: "zstd", level: 3 },
    encryption: { format: "age-v1", recipients: [{ recipient, fingerprint: "f".repeat(16) }] },
    tables: {},
    tool: { name: "rampart", version: "0.1.0" },
  };
  writeFileSync(join(dir, "backups", manifestKey(id)), JSON.stringify(manifest));
}

describe("age identity rotation", () => {
  it("new recipient for new backups, old identity kept for restore until retention ends", async () => {
    const { dir, deps, store, posture, advance } = setup();
    const spec = pick(posture, NAME).spec;
    expect((await rotate(deps, NAME, spec, "start")).outcome).toBe("rotated");
    const first = parseIdentities((await store.get(NAME)) as string);
    expect(first).toHaveLength(1);
    const r1 = await identityToRecipient(first[0] as string);
    expect(await currentRecipients(posture)).toEqual([...posture.backups.recipients, r1]);
    const oldBackup = await encryptTo(await currentRecipients(posture), "old backup");

    advance(90 * DAY);
    expect((await rotate(deps, NAME, spec, "start")).outcome).toBe("rotated");
    const both = parseIdentities((await store.get(NAME)) as string);
    expect(both).toHaveLength(2);
    expect(both[1]).toBe(first[0]);
    const r2 = await identityToRecipient(both[0] as string);
    // New backups go to the new recipient only (plus the posture's static ones).
    expect(await store.get(recipientsName(NAME))).toBe(`${r2}\n`);
    expect(await currentRecipients(posture)).toEqual([...posture.backups.recipients, r2]);
    const newBackup = await encryptTo(await currentRecipients(posture), "new backup");
    // What restore reads (the whole secret) opens both.
    expect(await decryptWith(both, oldBackup)).toBe("old backup");
    expect(await decryptWith(both, newBackup)).toBe("new backup");

    // Within retention (7 days + 1 day margin) the old identity stays.
    advance(7 * DAY);
    await runSelection(deps, posture, { mode: "due" });
    expect(parseIdentities((await store.get(NAME)) as string)).toHaveLength(2);

    // Past retention but a backup in the store still lists the old recipient: kept.
    advance(2 * DAY);
    writeBackup(dir, r1);
    const kept = await runSelection(deps, posture, { mode: "due" });
    expect(kept[0]?.notes?.join()).toMatch(/backup encrypted to it is still retained/);
    expect(parseIdentities((await store.get(NAME)) as string)).toHaveLength(2);

    // That backup pruned: destroyed, and not left behind in the previous version either.
    const { rmSync } = await import("node:fs");
    rmSync(join(dir, "backups", "20260301T000000Z-shop-abcd"), { recursive: true });
    const destroyed = await runSelection(deps, posture, { mode: "due" });
    expect(destroyed[0]?.notes?.join()).toMatch(/destroyed retired identity/);
    expect(parseIdentities((await store.get(NAME)) as string)).toEqual([both[0]]);
    expect(await store.get(NAME, "previous")).toBeUndefined();
    await expect(decryptWith(parseIdentities((await store.get(NAME)) as string), oldBackup)).rejects.toThrow(
      /does not match/,
    );
  });
});
