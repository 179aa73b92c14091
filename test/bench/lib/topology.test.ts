import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pin, splitCpus, withDescendants } from "../../../bench/lib/topology.ts";

describe("splitCpus", () => {
  it("gives the server the first half and the clients the rest", () => {
    expect(splitCpus(2)).toEqual({ server: "0", client: "1", all: "0-1" });
    expect(splitCpus(8)).toEqual({ server: "0-3", client: "4-7", all: "0-7" });
    expect(splitCpus(3)).toEqual({ server: "0", client: "1-2", all: "0-2" });
  });
  it("does not split a single CPU", () => {
    expect(splitCpus(1)).toBeNull();
  });
});

describe("withDescendants", () => {
  let proc = "";
  afterEach(() => rmSync(proc, { recursive: true, force: true }));
  const fakeProc = (entries: Record<number, [string, number]>) => {
    proc = mkdtempSync(join(tmpdir(), "rampart-proc-"));
    for (const [pid, [comm, ppid]] of Object.entries(entries)) {
      mkdirSync(join(proc, pid));
      writeFileSync(join(proc, pid, "stat"), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560\n`);
    }
    mkdirSync(join(proc, "self")); // not a pid: ignored
    return proc;
  };

  it("finds children and grandchildren, not siblings or the parent", () => {
    const dir = fakeProc({
      1: ["init", 0],
      100: ["postgres", 1],
      101: ["postgres", 100],
      102: ["postgres", 100],
      150: ["postgres", 101], // a grandchild
      200: ["moto_server", 1],
    });
    expect(withDescendants(100, dir).sort((a, b) => a - b)).toEqual([100, 101, 102, 150]);
  });

  it("reads the parent after a command name holding spaces and parentheses", () => {
    const dir = fakeProc({ 100: ["postgres", 1], 101: ["a (b) c", 100], 102: ["x) S 100 (", 1] });
    expect(withDescendants(100, dir)).toEqual([100, 101]);
  });
});

describe("pin", () => {
  const allowed = (pid: number) =>
    /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];

  it("moves a running process to the CPUs given, and skips one that has exited", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const pid = child.pid as number;
      await pin([pid, 2 ** 22 + 1], "0"); // above pid_max's ceiling: never a live process
      expect(allowed(pid)).toBe("0");
    } finally {
      child.kill();
    }
  });
});
