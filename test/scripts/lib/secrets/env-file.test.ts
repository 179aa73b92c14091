import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import { EnvFileSecretStore } from "../../../../scripts/lib/secrets/env-file.ts";
import { formatEnv, parseEnv } from "../../../../scripts/lib/secrets/env-format.ts";
import type { RotationState } from "../../../../scripts/lib/secrets/types.ts";

const state = (token: string, step: RotationState["step"] = "create"): RotationState => ({
  token,
  kind: "api-key",
  step,
  startedAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  data: { note: "x" },
});

describe("env-file secret store", () => {
  let dir: string;
  let file: string;
  let store: EnvFileSecretStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "rampart-envstore-"));
    file = join(dir, "secrets.env");
    store = new EnvFileSecretStore(pathToFileURL(file).href);
  });

  it("round-trips values with quotes, spaces and newlines in the env format", () => {
    const values = new Map([
      ["PLAIN", "abc-123_x.y:z/+="],
      ["JSON", '{"username":"app_a","password":"p w"}'],
      ["MULTI", "# comment\nAGE-SECRET-KEY-1ABC\nback\\slash"],
    ]);
    expect(parseEnv(formatEnv(values))).toEqual(values);
  });

  it("stages, promotes and keeps the previous value in <file>.previous, all mode 0600", async () => {
    writeFileSync(file, "OTHER=keep\nAPI=old-value\n", { mode: 0o644 });
    await store.stagePending("API", "new-value", state("t1"));
    expect(await store.get("API")).toBe("old-value");
    expect(await store.get("API", "pending")).toBe("new-value");
    expect((await store.state("API"))?.token).toBe("t1");

    await store.promote("API", "t1");
    expect(await store.get("API")).toBe("new-value");
    expect(await store.get("API", "previous")).toBe("old-value");
    expect(await store.get("API", "pending")).toBeUndefined();
    expect(await store.state("API")).toBeUndefined();
    expect(parseEnv(readFileSync(file, "utf8")).get("OTHER")).toBe("keep");
    expect(parseEnv(readFileSync(`${file}.previous`, "utf8")).get("API")).toBe("old-value");
    for (const f of [file, `${file}.previous`, `${file}.pending`, `${file}.rotation.json`])
      expect(statSync(f).mode & 0o777).toBe(0o600);
    // The metadata sidecar never holds a value.
    expect(readFileSync(`${file}.rotation.json`, "utf8")).not.toMatch(/new-value|old-value/);
  });

  it("is idempotent per token: re-staging keeps the first value, re-promoting changes nothing", async () => {
    await store.put("API", "v1");
    await store.stagePending("API", "v2", state("t2"));
    await store.stagePending("API", "v2-regenerated", state("t2"));
    expect(await store.get("API", "pending")).toBe("v2");
    await store.promote("API", "t2");
    await store.promote("API", "t2");
    expect(await store.get("API")).toBe("v2");
    expect(await store.get("API", "previous")).toBe("v1");
    expect((await store.versions("API")).map((v) => v.stages[0]).sort()).toEqual(["current", "previous"]);
  });

  it("a promote killed after replacing current does not overwrite previous on re-run", async () => {
    await store.put("API", "v1");
    await store.stagePending("API", "v2", state("t3"));
    // Simulate the crash window: current already replaced, metadata not yet updated.
    writeFileSync(file, "API=v2\n", { mode: 0o600 });
    writeFileSync(`${file}.previous`, "API=v1\n", { mode: 0o600 });
    await store.promote("API", "t3");
    expect(await store.get("API")).toBe("v2");
    expect(await store.get("API", "previous")).toBe("v1");
  });

  it("fail moves pending to failed and leaves current alone", async () => {
    await store.put("API", "v1");
    await store.stagePending("API", "bad", state("t4"));
    await store.saveState("API", state("t4", "set"));
    expect((await store.state("API"))?.step).toBe("set");
    await store.fail("API", "t4");
    await store.fail("API", "t4");
    expect(await store.get("API")).toBe("v1");
    expect(await store.get("API", "pending")).toBeUndefined();
    expect(parseEnv(readFileSync(`${file}.failed`, "utf8")).get("API")).toBe("bad");
    expect((await store.versions("API")).find((v) => v.stages.includes("failed"))?.id).toBe("t4");
  });

  it("purge removes previous and failed values", async () => {
    await store.put("API", "v1");
    await store.put("API", "v2");
    await store.purge("API");
    expect(await store.get("API", "previous")).toBeUndefined();
    expect(await store.get("API")).toBe("v2");
  });

  it.skipIf(process.getuid?.() !== 0)("preserves the owner of the file it replaces", async () => {
    writeFileSync(file, "API=v1\n", { mode: 0o600 });
    const { chownSync } = await import("node:fs");
    chownSync(file, 4242, 4343);
    await store.put("API", "v2");
    expect(statSync(file).uid).toBe(4242);
    expect(statSync(file).gid).toBe(4343);
  });
});
