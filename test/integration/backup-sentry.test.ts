// Sentry Crons and error capture as the real @sentry/node SDK sends them, recorded by a local HTTP receiver
// standing in for sentry.io: in_progress then ok/error with the posture's monitor config; errors scrubbed.

import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { ageKeyPair } from "../support/age.ts";
import { runCli } from "../support/cli.ts";
import { type SentryReceiver, startSentryReceiver } from "../support/sentry-receiver.ts";
import { createTempDatabase, pgBin, type TempDatabase } from "../support/services.ts";
import { writeStack } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";

let sentry: SentryReceiver;
let dsn: string;
let dir: string;
let recipient: string;
let db: TempDatabase;

const checkIns = () => sentry.checkIns();
const events = () => sentry.events();
/** <dir>/Pulumi.<name>.yaml backing up to file://<dir>/<store>. */
const stackFor = (name: string, store: string) =>
  writeStack(dir, name, { "backups.store": `file://${join(dir, store)}`, "backups.recipients": [recipient] })
    .file;

beforeAll(async () => {
  sentry = await startSentryReceiver();
  dsn = sentry.dsn;
  dir = await tempDir("rampart-sentry-");
  recipient = (await ageKeyPair(dir)).recipient;
  db = await createTempDatabase("backup_sentry");
  await loadSampleDatabase(db.url);
});
afterAll(async () => {
  await db?.drop();
  await sentry?.close();
});
beforeEach(() => {
  sentry.clear();
});

const monitorConfig = {
  schedule: { type: "crontab", value: "0 */4 * * *" },
  checkin_margin: 15,
  max_runtime: 120,
  timezone: "Etc/UTC",
};

describe("Sentry Crons", () => {
  it("checks in in_progress, then ok, with the posture's schedule, margin and max runtime", async () => {
    const stack = stackFor("sentry-ok", "ok");
    const run = await runCli(["backup", "--stack", stack], { DATABASE_URL: db.url, SENTRY_DSN: dsn });
    expect(run.code, run.stderr).toBe(0);
    const [start, end, ...rest] = checkIns();
    expect(rest).toEqual([]);
    expect(start).toMatchObject({
      monitor_slug: "rampart-backup-sentry-ok",
      status: "in_progress",
      monitor_config: monitorConfig,
    });
    expect(end).toMatchObject({
      status: "ok",
      check_in_id: start?.check_in_id,
      monitor_config: monitorConfig,
    });
    expect(typeof end?.duration).toBe("number");
    expect(events()).toEqual([]);
  });

  it("checks in error and sends the error with secrets scrubbed", async () => {
    const password = "Sentry-Leak-Pw-9931";
    // A pg_dump that fails the way a real one can: quoting the connection it was given in its error.
    const bin = join(dir, "leaky-bin");
    await mkdir(bin, { recursive: true });
    await writeFile(
      join(bin, "pg_dump"),
      `#!/bin/sh\nif [ "$1" = --version ]; then exec ${pgBin()}/pg_dump --version; fi\n` +
        'echo "pg_dump: error: connection to postgres://postgres:$PGPASSWORD@$PGHOST/$PGDATABASE failed (password $PGPASSWORD)" >&2\nexit 1\n',
    );
    await chmod(join(bin, "pg_dump"), 0o755);
    const url = new URL(db.url);
    url.password = password;
    const stack = stackFor("sentry-err", "err");
    const run = await runCli(["backup", "--stack", stack], {
      DATABASE_URL: url.toString(),
      SENTRY_DSN: dsn,
      RAMPART_PG_BIN: bin,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/pg_dump exited with code 1/);
    const [start, end] = checkIns();
    expect(start?.status).toBe("in_progress");
    expect(end).toMatchObject({ status: "error", check_in_id: start?.check_in_id });
    const [event] = events();
    const exception = JSON.stringify(event?.exception);
    expect(exception).toMatch(/pg_dump exited with code 1/);
    expect(exception).toMatch(/REDACTED/);
    for (const body of sentry.bodies) expect(body).not.toContain(password);
    expect(run.stderr).not.toContain(password);
  });

  it("reads the DSN from the stack's secret store when the posture names it (monitoring.sentryDsnSecret)", async () => {
    const stack = writeStack(dir, "sentry-store", {
      "backups.store": `file://${join(dir, "store")}`,
      "backups.recipients": [recipient],
      "secrets.store": `file://${join(dir, "sentry-secrets.env")}`,
      "monitoring.sentryDsnSecret": "sentry-dsn",
    }).file;
    const { openSecretStore } = await import("../../scripts/lib/secrets/index.ts");
    await (await openSecretStore(`file://${join(dir, "sentry-secrets.env")}`)).put("sentry-dsn", dsn);
    const run = await runCli(["backup", "--stack", stack], { DATABASE_URL: db.url, SENTRY_DSN: "" });
    expect(run.code, run.stderr).toBe(0);
    expect(checkIns().map((c) => c.status)).toEqual(["in_progress", "ok"]);
    expect(checkIns()[0]?.monitor_slug).toBe("rampart-backup-sentry-store");
    // The DSN's key is a secret too: never in the job's logs.
    expect(run.stderr).not.toContain(new URL(dsn).username || "unreachable");
  });

  it("sends no check-in for a run skipped because another backup holds the lock", async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock($1, 1)", [0x52414d50]);
      const stack = stackFor("sentry-skip", "skip");
      const run = await runCli(["backup", "--stack", stack], { DATABASE_URL: db.url, SENTRY_DSN: dsn });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/another backup is running/);
      expect(checkIns()).toEqual([]);
    } finally {
      await holder.end();
    }
  });
});
