// A failed drill alerts like a failed backup: a Sentry error event and an `error` Crons check-in on the
// monitor rampart-drill-<stack>; a passing drill checks in ok and sends no event. Recorded by a local HTTP
// receiver standing in for sentry.io, fed by the real @sentry/node SDK.
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { FileStore } from "../../scripts/lib/store/file.ts";
import { runCli } from "../support/cli.ts";
import { type SentryReceiver, startSentryReceiver } from "../support/sentry-receiver.ts";
import { createTempDatabase, pgUrl, type TempDatabase } from "../support/services.ts";
import { type IdentityStack, writeStackWithIdentity } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";
import { stockBackup } from "./restore-fixture.ts";

let sentry: SentryReceiver;
let source: TempDatabase;
let stack: IdentityStack;
let dir: string;

const items = () => sentry.items();

beforeAll(async () => {
  sentry = await startSentryReceiver();
  source = await createTempDatabase("drill_sentry_src");
  await loadSampleDatabase(source.url);
  dir = await tempDir("rampart-drill-sentry-");
  stack = writeStackWithIdentity(dir);
});
afterAll(async () => {
  await source?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
  await sentry?.close();
});

const drill = (backup: string) =>
  runCli(["drill", "--stack", stack.file, "--backup", backup, "--target", pgUrl()], {
    SENTRY_DSN: sentry.dsn,
    RAMPART_AGE_IDENTITY_FILE: stack.identityFile,
  });

describe("drill alerts", () => {
  it("a passing drill checks in in_progress then ok, with the drill schedule, and sends no error", async () => {
    sentry.clear();
    const good = await stockBackup(new FileStore(stack.storeUrl), source.url);
    const run = await drill(good.id);
    expect(run.code, run.stderr).toBe(0);
    const checkIns = items().filter((i) => i.type === "check_in");
    expect(checkIns.map((c) => c.payload.status)).toEqual(["in_progress", "ok"]);
    expect(checkIns[0]?.payload).toMatchObject({
      monitor_slug: "rampart-drill-test",
      monitor_config: { schedule: { type: "crontab", value: "0 6 1 * *" } },
    });
    expect(items().filter((i) => i.type === "event")).toEqual([]);
  });

  it("a failed drill is an error check-in and a Sentry error naming what failed", async () => {
    sentry.clear();
    const store = new FileStore(stack.storeUrl);
    const real = await stockBackup(store, source.url);
    const bad = await stockBackup(store, source.url, {
      tables: { ...real.tables, "public.customers": (real.tables["public.customers"] ?? 0) - 1 },
    });
    const run = await drill(bad.id);
    expect(run.code).toBe(1);
    const checkIns = items().filter((i) => i.type === "check_in");
    expect(checkIns.map((c) => c.payload.status)).toEqual(["in_progress", "error"]);
    const events = items().filter((i) => i.type === "event");
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0]?.payload.exception)).toMatch(
      /restore drill failed \(test\).*public\.customers/,
    );
  });
});
