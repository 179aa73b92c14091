import { readFile, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPosture } from "../../posture/index.ts";
import { readIdentityFile } from "../../scripts/lib/age.ts";
import { runDrill } from "../../scripts/lib/drill/run.ts";
import { databaseExists } from "../../scripts/lib/drill/scratch.ts";
import { EvidenceLog } from "../../scripts/lib/evidence.ts";
import type { Manifest } from "../../scripts/lib/manifest.ts";
import { resolveTarget } from "../../scripts/lib/restore/connection.ts";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { FileStore } from "../../scripts/lib/store/file.ts";
import { jsonResult, runCli } from "../support/cli.ts";
import { sql } from "../support/db.ts";
import { silentLog } from "../support/log.ts";
import { createTempDatabase, pgUrl, type TempDatabase } from "../support/services.ts";
import { type IdentityStack, writeStackWithIdentity } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";
import { stockBackup } from "./restore-fixture.ts";

const log = silentLog();

let dir: string;
let stack: IdentityStack;
let store: FileStore;
let source: TempDatabase;
let good: Manifest;
let identities: string[];

const drill = async (backup: string, stackFile = stack.file) =>
  runDrill({
    posture: loadPosture(stackFile),
    store,
    evidence: await EvidenceLog.open(stack.evidenceUrl),
    server: resolveTarget(pgUrl()),
    backup,
    identities,
    jobs: 2,
    log,
  });

beforeAll(async () => {
  dir = await tempDir("rampart-drill-test-");
  stack = writeStackWithIdentity(dir);
  store = new FileStore(stack.storeUrl);
  source = await createTempDatabase("rampart_drill_src");
  await loadSampleDatabase(source.url);
  good = await stockBackup(store, source.url);
  identities = await readIdentityFile(stack.identityFile);
});

afterAll(async () => {
  await source?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe("rampart drill", () => {
  it("passes on a good backup: tables, counts, amcheck, posture checks, objectives — and leaves evidence", async () => {
    const run = await runCli(
      ["drill", "--stack", stack.file, "--backup", good.id, "--target", pgUrl(), "--json"],
      { RAMPART_AGE_IDENTITY_FILE: stack.identityFile },
    );
    const record = jsonResult<{
      drillId: string;
      scratchDatabase: string;
      checks: { kind: string; ok: boolean }[];
      rto: { met: boolean };
      rpo: { met: boolean };
      reportUrls: { html: string; markdown: string };
    }>(run);
    expect(record).toMatchObject({ outcome: "passed", failure: null, scratchDropped: true });
    expect(record.checks.map((c: { kind: string; ok: boolean }) => [c.kind, c.ok])).toEqual([
      ["tables", true],
      ["row-counts", true],
      ["amcheck", true],
      ["verify-sql", true],
      ["verify-sql", true],
    ]);
    expect(record.rto.met && record.rpo.met).toBe(true);
    expect(await databaseExists(resolveTarget(pgUrl()), record.scratchDatabase)).toBe(false);

    const html = await readFile(fileURLToPath(record.reportUrls.html), "utf8");
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(await readFile(fileURLToPath(record.reportUrls.markdown), "utf8")).toContain(`Backup: ${good.id}`);

    const history = await runCli(["drill", "history", "--stack", stack.file, "--json"]);
    const drills = jsonResult<{ drillId: string; outcome: string }[]>(history);
    expect(drills.at(-1)).toMatchObject({ drillId: record.drillId, outcome: "passed" });
  });

  it("fails and names the table when the manifest's counts differ from the restored data; drops the scratch db", async () => {
    const tables = { ...good.tables, "public.payments": (good.tables["public.payments"] ?? 0) + 1 };
    const bad = await stockBackup(store, source.url, { tables });
    const { record } = await drill(bad.id);
    expect(record.outcome).toBe("failed");
    const counts = record.checks.find((c) => c.kind === "row-counts");
    expect(counts?.ok).toBe(false);
    expect(counts?.detail).toMatch(/^public\.payments: manifest \d+, restored \d+$/);
    expect(record.failure).toContain("public.payments");
    expect(record.scratchDropped).toBe(true);
    expect(await databaseExists(resolveTarget(pgUrl()), record.scratchDatabase)).toBe(false);
  });

  it("fails when a backed-up table is missing, or a posture check fails", async () => {
    await sql(source.url, "update invoices set total_cents = -1 where id = 1");
    const tables = { ...(await stockBackup(store, source.url)).tables, "public.refunds": 3 };
    const broken = await stockBackup(store, source.url, { tables });
    const { record } = await drill(broken.id);
    expect(record.outcome).toBe("failed");
    expect(record.checks.find((c) => c.kind === "tables")?.detail).toBe("missing: public.refunds");
    expect(record.checks.find((c) => c.name === "no negative invoice totals")).toMatchObject({
      ok: false,
      detail: "expected 0, got 1",
    });
    expect(record.rto.seconds).toBeNull();
  });

  it("fails on a missed RPO target even when every check passes", async () => {
    const old = await stockBackup(store, source.url, { snapshotTime: new Date(Date.now() - 6 * 3600_000) });
    const { record } = await drill(old.id);
    expect(record.checks.every((c) => c.kind === "verify-sql" || c.ok)).toBe(true);
    expect(record.rpo).toMatchObject({ targetMinutes: 300, met: false });
    expect(record.outcome).toBe("failed");
  });

  it("a failing drill exits 1 and is listed in the history as failed", async () => {
    const failed = await runCli(
      ["drill", "--stack", stack.file, "--target", pgUrl(), "--backup", "20200101T000000Z-nope-0000"],
      { RAMPART_AGE_IDENTITY_FILE: stack.identityFile },
    );
    expect(failed).toMatchObject({ code: 1 });
    const events = await (await EvidenceLog.open(stack.evidenceUrl)).list("drills");
    expect(events.at(-1)).toMatchObject({ outcome: "failed", backup: null });
    expect(String(events.at(-1)?.failure)).toMatch(/no backup 20200101T000000Z-nope-0000/);
  });
});
