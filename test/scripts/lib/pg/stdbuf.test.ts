import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withInputBuffer, withOutputBuffer } from "../../../../scripts/lib/pg/stdbuf.ts";
import { tempDirSync } from "../../../support/temp.ts";

describe("withOutputBuffer", () => {
  it("runs the tool under the stdbuf found on PATH, with a 1 MiB output buffer", () => {
    const dir = tempDirSync("rampart-stdbuf-");
    mkdirSync(join(dir, "bin"));
    writeFileSync(join(dir, "bin", "stdbuf"), "#!/bin/sh\n");
    chmodSync(join(dir, "bin", "stdbuf"), 0o755);
    const env = { PATH: `/nonexistent:${join(dir, "bin")}` };
    expect(withOutputBuffer("/usr/bin/pg_dump", ["-Fc", "--snapshot=x"], env)).toEqual([
      join(dir, "bin", "stdbuf"),
      ["--output=1M", "/usr/bin/pg_dump", "-Fc", "--snapshot=x"],
    ]);
  });

  it("gives a tool fed on stdin 1 MiB reads the same way", () => {
    const dir = tempDirSync("rampart-stdbuf-in-");
    writeFileSync(join(dir, "stdbuf"), "#!/bin/sh\n");
    chmodSync(join(dir, "stdbuf"), 0o755);
    expect(withInputBuffer("pg_restore", ["-L", "list"], { PATH: dir })).toEqual([
      join(dir, "stdbuf"),
      ["--input=1M", "pg_restore", "-L", "list"],
    ]);
  });

  it("runs the tool as it is when there is no stdbuf", () => {
    const dir = tempDirSync("rampart-stdbuf-none-");
    expect(withOutputBuffer("pg_dump", ["-Fc"], { PATH: dir })).toEqual(["pg_dump", ["-Fc"]]);
    expect(withInputBuffer("pg_restore", ["-L", "x"], { PATH: dir })).toEqual(["pg_restore", ["-L", "x"]]);
  });
});
