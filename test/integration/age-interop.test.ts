// Interop with the stock age 1.1 and zstd CLIs: what rampart writes, the standard tools read, and back.
// No services needed; it lives here because it spawns external tools.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decryptStream,
  encryptStream,
  generateIdentity,
  identityToRecipient,
  readIdentityFile,
} from "../../scripts/lib/age.ts";
import { compressStream } from "../../scripts/lib/compress.ts";
import { ageKeyPair } from "../support/age.ts";
import { pipeThrough } from "../support/streams.ts";
import { tempDir } from "../support/temp.ts";

const run = promisify(execFile);
const opts = { maxBuffer: 64 * 1024 * 1024, encoding: "buffer" as const };

const through = (data: Buffer, ...stages: Duplex[]) => pipeThrough([data], ...stages);

let dir: string;
let cliKey: string;
let cliRecipient: string;
beforeAll(async () => {
  dir = await tempDir("rampart-age-interop-");
  ({ keyFile: cliKey, recipient: cliRecipient } = await ageKeyPair(dir));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("age interop", () => {
  it("age -d decrypts what encryptStream wrote", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    await writeFile(join(dir, "ours.age"), await through(data, await encryptStream([cliRecipient])));
    const { stdout } = await run("age", ["-d", "-i", cliKey, join(dir, "ours.age")], opts);
    expect(stdout.equals(data)).toBe(true);
  });

  it("decryptStream decrypts what age -r wrote, with an identity file from age-keygen", async () => {
    const data = randomBytes(2 * 1024 * 1024 + 77);
    await writeFile(join(dir, "plain"), data);
    await run("age", ["-r", cliRecipient, "-o", join(dir, "theirs.age"), join(dir, "plain")]);
    const identities = await readIdentityFile(cliKey);
    const sealed = await readFile(join(dir, "theirs.age"));
    expect((await through(sealed, await decryptStream(identities))).equals(data)).toBe(true);
  });

  it("multiple recipients: each of our identity and the CLI's key decrypts", async () => {
    const ours = await generateIdentity();
    const data = randomBytes(100_000);
    const sealed = await through(data, await encryptStream([await identityToRecipient(ours), cliRecipient]));
    await writeFile(join(dir, "multi.age"), sealed);
    const { stdout } = await run("age", ["-d", "-i", cliKey, join(dir, "multi.age")], opts);
    expect(stdout.equals(data)).toBe(true);
    expect((await through(sealed, await decryptStream([ours]))).equals(data)).toBe(true);

    await writeFile(join(dir, "plain2"), data);
    const oursFile = join(dir, "ours-key.txt");
    await writeFile(oursFile, `${ours}\n`, { mode: 0o600 });
    await run("age", [
      "-r",
      await identityToRecipient(ours),
      "-r",
      cliRecipient,
      "-o",
      join(dir, "multi2.age"),
      join(dir, "plain2"),
    ]);
    const theirs = await readFile(join(dir, "multi2.age"));
    expect((await through(theirs, await decryptStream(await readIdentityFile(oursFile)))).equals(data)).toBe(
      true,
    );
  });

  it("age -d and our decrypt agree at chunk-boundary sizes, both ways", async () => {
    const identities = await readIdentityFile(cliKey);
    for (const size of [0, 1, 65_535, 65_536, 65_537, 2 * 65_536]) {
      const data = randomBytes(size);
      const ours = join(dir, `ours-${size}.age`);
      await writeFile(ours, await through(data, await encryptStream([cliRecipient])));
      const { stdout } = await run("age", ["-d", "-i", cliKey, ours], opts);
      expect(stdout.equals(data), `age -d of our ${size}-byte file`).toBe(true);

      await writeFile(join(dir, "plain-sized"), data);
      const theirs = join(dir, `theirs-${size}.age`);
      await run("age", ["-r", cliRecipient, "-o", theirs, join(dir, "plain-sized")]);
      const opened = await through(await readFile(theirs), await decryptStream(identities));
      expect(opened.equals(data), `our decrypt of age -r's ${size}-byte file`).toBe(true);
    }
  });

  it("decryptStream reads age -R output for several recipients, with any one identity", async () => {
    const others = await Promise.all([generateIdentity(), generateIdentity()]);
    const recipientsFile = join(dir, "recipients.txt");
    const recipients = [...(await Promise.all(others.map((o) => identityToRecipient(o)))), cliRecipient];
    await writeFile(
      recipientsFile,
      `# team
${recipients.join("\n")}
`,
    );
    const data = randomBytes(300_000);
    await writeFile(join(dir, "plain3"), data);
    await run("age", ["-R", recipientsFile, "-o", join(dir, "many.age"), join(dir, "plain3")]);
    const sealed = await readFile(join(dir, "many.age"));
    expect((sealed.toString("latin1").match(/\n-> X25519 /g) ?? []).length).toBe(3);
    for (const ids of [[others[1] as string], await readIdentityFile(cliKey)])
      expect((await through(sealed, await decryptStream(ids))).equals(data)).toBe(true);
  });

  it("keys: identityToRecipient matches age-keygen -y, and age-keygen -y reads generateIdentity's keys", async () => {
    const [cliIdentity] = await readIdentityFile(cliKey);
    expect(await identityToRecipient(cliIdentity as string)).toBe(cliRecipient);
    const ours = await generateIdentity();
    const file = join(dir, "generated.txt");
    await writeFile(file, `${ours}\n`, { mode: 0o600 });
    const { stdout } = await run("age-keygen", ["-y", file]);
    expect(stdout.toString().trim()).toBe(await identityToRecipient(ours));
  });

  it("the backup pipeline (zstd then age) is readable by age -d | zstd -d", async () => {
    const data = Buffer.from("CREATE TABLE t (id int);\n".repeat(50_000));
    const sealed = await through(
      data,
      compressStream({ algorithm: "zstd", level: 3 }),
      await encryptStream([cliRecipient]),
    );
    await writeFile(join(dir, "dump.zst.age"), sealed);
    await run("age", ["-d", "-i", cliKey, "-o", join(dir, "dump.zst"), join(dir, "dump.zst.age")]);
    const { stdout } = await run("zstd", ["-d", "-c", join(dir, "dump.zst")], opts);
    expect(stdout.equals(data)).toBe(true);
  });
});
