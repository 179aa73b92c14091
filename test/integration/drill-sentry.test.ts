// A failed drill alerts like a failed backup: a Sentry error event and an `error` Crons check-in on the
// monitor rampart-drill-<stack>; a passing drill checks in ok and sends no event. Recorded by a local HTTP
// receiver standing in for sentry.io, fed by the real @sentry/node SDK.
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { FileStore } from "../../scripts/lib/store/file.ts";
import { createTempDatabase, pgUrl, type TempDatabase } from "../support/services.ts";
import { runCli, tempDir } from "./backup-support.ts";
import { stockBackup } from "./restore-fixture.ts";
import { type TestStack, writeTestStack } from "./restore-stack.ts";

type Item = { type: string; payload: Record<string, unknown> };
let server: Server;
let dsn: string;
let bodies: string[] = [];
let source: TempDatabase;
let stack: TestStack;
let dir: string;

const items = (): Item[] =>
  bodies.flatMap((body) => {
    const lines = body.split("\n").filter((l) => l.trim() !== "");
    const out: Item[] = [];
    for (let i = 1; i + 1 < lines.length; i += 2)
      out.push({
        type: (JSON.parse(lines[i] as string) as { type: string }).type,
        payload: JSON.parse(lines[i + 1] as string),
      });
    return out;
  });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      bodies.push((req.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body).toString("utf8"));
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("no port");
  dsn = `http://0123456789abcdef0123456789abcdef@127.0.0.1:${addr.port}/42`;
  source = await createTempDatabase("drill_sentry_src");
  await loadSampleDatabase(source.url);
  dir = await tempDir("rampart-drill-sentry-");
  stack = await writeTestStack(dir);
});
afterAll(async () => {
  await source?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
  await new Promise((r) => server?.close(r));
});

const drill = (backup: string) =>
  runCli(["drill", "--stack", stack.file, "--backup", backup, "--target", pgUrl()], {
    SENTRY_DSN: dsn,
    RAMPART_AGE_IDENTITY_FILE: stack.identityFile,
  });

describe("drill alerts", () => {
  it("a passing drill checks in in_progress then ok, with the drill schedule, and sends no error", async () => {
    bodies = [];
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
    bodies = [];
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
