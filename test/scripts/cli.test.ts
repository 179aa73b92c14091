import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { variant } from "../posture/fixtures.ts";
import { writeStackWithIdentity } from "../support/stacks.ts";
import { tempDirSync } from "../support/temp.ts";

const CLI = new URL("../../scripts/cli.ts", import.meta.url).pathname;
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, RAMPART_STACK: "" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("rampart CLI", () => {
  test("--help lists the commands and documents the exit codes", () => {
    const r = run("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s+posture \[options\]/m);
    expect(r.stdout).toContain("Exit codes:");
    expect(r.stdout).toMatch(/2\s+usage or configuration error/);
  });

  test("--version prints the package version", () => {
    const r = run("--version");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("posture --json prints the resolved posture and its claims on stdout", () => {
    const r = run("posture", "--stack", "gcp-zurich", "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      posture: { profile: string; stores: { backups: string } };
      claims: { id: string; sentence: string }[];
    };
    expect(out.posture.profile).toBe("gcp");
    expect(out.posture.stores.backups).toBe("gs://numezis-backups-zrh/postgres");
    expect(out.claims.find((c) => c.id === "backup.frequency")?.sentence).toBe(
      "The Postgres database is backed up every 4 hours.",
    );
  });

  test("posture prints readable claims by default", () => {
    const r = run("posture", "--stack", "local");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[backup.frequency] The Postgres database is backed up every 4 hours.");
  });

  test("an invalid stack file exits 2 with file, key and fix on stderr, nothing on stdout", () => {
    const file = variant("gcp-zurich", ["backups", "schedule"], "every 4h");
    const r = run("posture", "--stack", file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `rampart: ${file}: rampart:posture.backups.schedule: "every 4h" is not a cron expression (e.g. "0 */4 * * *")\n`,
    );
  });

  test("an unknown stack exits 2 and lists the known stacks as a HINT", () => {
    const r = run("posture", "--stack", "nope");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such stack file\nHINT: known stacks: .*local/);
  });

  test("unknown options and commands are usage errors (exit 2)", () => {
    expect(run("posture", "--bogus").code).toBe(2);
    expect(run("frobnicate").code).toBe(2);
  });
});

describe("bin/rampart, the installed entry", () => {
  const BIN = new URL("../../bin/rampart", import.meta.url).pathname;
  const dir = tempDirSync("rampart-cli-bin-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = (args: string[], env: Record<string, string>, nodeArgs: string[] = []) => {
    const { NODE_COMPILE_CACHE: _, ...inherited } = process.env;
    const r = spawnSync(process.execPath, [...nodeArgs, BIN, ...args], {
      encoding: "utf8",
      env: { ...inherited, RAMPART_STACK: "", ...env },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test("runs the CLI with the same help, and keeps Node's compile cache under XDG_CACHE_HOME", () => {
    const xdg = join(dir, "xdg");
    const r = bin(["--help"], { XDG_CACHE_HOME: xdg });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(run("--help").stdout);
    // One directory per Node version and uid, holding the compiled modules (cli.ts among them).
    const [tag, ...more] = readdirSync(join(xdg, "rampart"));
    expect(more).toEqual([]);
    expect(readdirSync(join(xdg, "rampart", tag as string)).length).toBeGreaterThan(5);
  });

  test("a cache location it cannot use is not an error: it falls back to a private dir in TMPDIR", () => {
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "");
    const tmp = join(dir, "tmp");
    mkdirSync(tmp);
    // XDG and HOME candidates are under a regular file: mkdir fails (ENOTDIR), the run goes on.
    const r = bin(["--version"], { XDG_CACHE_HOME: file, HOME: file, TMPDIR: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(run("--version").stdout.trim());
    expect(r.stderr).toBe("");
    const own = join(tmp, `rampart-compile-cache-${process.getuid?.()}`);
    expect(statSync(own).mode & 0o777).toBe(0o700);
    expect(readdirSync(own)).toHaveLength(1);
  });

  test("a tmp cache dir that others can write to is never used", () => {
    const tmp = join(dir, "tmp-shared");
    const shared = join(tmp, `rampart-compile-cache-${process.getuid?.()}`);
    mkdirSync(shared, { recursive: true });
    chmodSync(shared, 0o777);
    const file = join(tmp, "not-a-dir");
    writeFileSync(file, "");
    const r = bin(["--version"], { XDG_CACHE_HOME: file, HOME: "/", TMPDIR: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(shared)).toEqual([]);
  });

  test("restore and drill run in a child without the 1 MB young generation; its output and status are ours", () => {
    // Each process (the entry, then the child it starts) reports its pid and Node flags on exit.
    const hook = `data:text/javascript,${encodeURIComponent(
      `process.on("exit", () => process.stderr.write("FLAGS " + JSON.stringify([process.pid, process.execArgv]) + "\\n"));`,
    )}`;
    const r = bin(["restore", "--bogus"], {}, ["--max-semi-space-size=1", "--import", hook]);
    expect(r.code).toBe(2);
    const flags = r.stderr
      .split("\n")
      .filter((l) => l.startsWith("FLAGS "))
      .map((l) => JSON.parse(l.slice(6)) as [number, string[]]);
    const [child, entry] = flags; // the child exits first
    expect(entry?.[1]).toContain("--max-semi-space-size=1");
    expect(child?.[1]).not.toContain("--max-semi-space-size=1");
    expect(child?.[0]).not.toBe(entry?.[0]);
    expect(r.stderr).toContain(run("restore", "--bogus").stderr.trim());
    // Other commands stay in the entry process, with the flag.
    const backup = bin(["backup", "--bogus"], {}, ["--max-semi-space-size=1", "--import", hook]);
    expect(backup.stderr.split("\n").filter((l) => l.startsWith("FLAGS "))).toHaveLength(1);
  });

  test("a signal to the entry reaches the restore running in its child", async () => {
    // An S3 endpoint that accepts and never answers: the restore waits on it for the backup listing.
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      s.resume(); // read, so that the peer going away ends it
      sockets.push(s);
    });
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
    const { port } = server.address() as AddressInfo;
    mkdirSync(join(dir, "signal"));
    const stack = writeStackWithIdentity(join(dir, "signal"), { "backups.store": "s3://bucket/pg" });
    const { NODE_COMPILE_CACHE: _, ...inherited } = process.env;
    const entry = spawn(
      process.execPath,
      [
        "--max-semi-space-size=1",
        BIN,
        "restore",
        "--stack",
        stack.file,
        "--target",
        "postgres://u@127.0.0.1:1/db",
      ],
      {
        env: {
          ...inherited,
          RAMPART_STACK: "",
          RAMPART_AGE_IDENTITY_FILE: stack.identityFile,
          AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
          AWS_ACCESS_KEY_ID: "x",
          AWS_SECRET_ACCESS_KEY: "x",
          AWS_REGION: "us-east-1",
        },
        stdio: "ignore",
      },
    );
    try {
      await vi.waitFor(() => expect(sockets.length).toBeGreaterThan(0), { timeout: 20_000, interval: 50 });
      const closed = new Promise((res) => sockets[0]?.once("close", res));
      const exited = new Promise<NodeJS.Signals | null>((res) => entry.once("exit", (_c, sig) => res(sig)));
      entry.kill("SIGTERM");
      expect(await exited).toBe("SIGTERM");
      await closed; // the child that held the connection is gone too
    } finally {
      entry.kill("SIGKILL");
      server.close();
      for (const s of sockets) s.destroy();
    }
  }, 30_000);

  test("registering the commands loads no command implementation or heavy dependency", () => {
    // Record every module the loader loads, through Node's in-thread module hooks.
    const hook = `data:text/javascript,${encodeURIComponent(`
      import { registerHooks } from "node:module";
      const seen = [];
      registerHooks({ load(url, ctx, next) { seen.push(url); return next(url, ctx); } });
      process.on("exit", () => process.stderr.write(JSON.stringify(seen)));`)}`;
    const r = bin(["--help"], { XDG_CACHE_HOME: join(dir, "xdg-hooks") }, ["--import", hook]);
    expect(r.code, r.stderr).toBe(0);
    const loaded = (JSON.parse(r.stderr) as string[]).filter((u) => u.startsWith("file:"));
    const packages = new Set(loaded.flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? []));
    expect([...packages]).toEqual(["commander"]);
    const ours = loaded
      .filter((u) => !u.includes("/node_modules/"))
      .map((u) => u.replace(/^.*?\/(bin|scripts|posture)\//, "$1/"));
    expect(ours.filter((u) => u.startsWith("posture/"))).toEqual(["posture/errors.ts"]);
    expect(ours.filter((u) => u.startsWith("scripts/lib/")).sort()).toEqual([
      "scripts/lib/cli-kit.ts",
      "scripts/lib/options.ts",
      "scripts/lib/redact.ts",
      "scripts/lib/version.ts",
    ]);
  });
});
