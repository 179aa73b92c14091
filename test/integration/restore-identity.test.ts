// Where restore finds the age identity: a file (mode 600), or the stack's secret store by reference
// (env file, AWS Secrets Manager on moto). Never argv; errors say where it looked and how to fix it.
import { chmod, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsSecretStore } from "../../scripts/lib/secrets/aws-sm.ts";
import { FileStore } from "../../scripts/lib/store/file.ts";
import { demoIdentity } from "../support/age.ts";
import { jsonResult, runCli } from "../support/cli.ts";
import { sql } from "../support/db.ts";
import {
  createTempDatabase,
  s3Endpoint,
  secretsManagerClient,
  type TempDatabase,
  uniqueName,
} from "../support/services.ts";
import { writeStackWithIdentity } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";
import { stockBackup } from "./restore-fixture.ts";

let source: TempDatabase;
let identity: string;
const dirs: string[] = [];

beforeAll(async () => {
  source = await createTempDatabase("restore_identity");
  await sql(source.url, "create table t (id int primary key); insert into t select generate_series(1, 10)");
  identity = await demoIdentity();
});
afterAll(async () => {
  await source?.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("age identity resolution", () => {
  it("reads the identity from an env-file secret store, refusing one others can read", async () => {
    const dir = await tempDir("rampart-identity-file-");
    dirs.push(dir);
    const stack = writeStackWithIdentity(dir);
    await stockBackup(new FileStore(stack.storeUrl), source.url);
    const secrets = join(dir, "secrets.env");
    const args = ["restore", "--stack", stack.file, "--to-file", join(dir, "out.pgc")];

    const missing = await runCli(args, {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read the age identity: .*secrets\.env does not exist/);
    expect(missing.stderr).toMatch(/HINT: pass --identity-file/);

    await writeFile(secrets, `OTHER=x\nrampart-age-identity=${identity}\n`, { mode: 0o644 });
    await chmod(secrets, 0o644);
    const open = await runCli(args, {});
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/readable by others.*\nHINT: chmod 600/);

    await chmod(secrets, 0o600);
    const ok = await runCli(args, {});
    expect(ok.code, ok.stderr).toBe(0);
    for (const out of [missing, open, ok]) expect(out.stderr + out.stdout).not.toContain(identity);
  });

  it("reads the identity from AWS Secrets Manager by reference", async () => {
    const dir = await tempDir("rampart-identity-awssm-");
    dirs.push(dir);
    const name = uniqueName("age-identity");
    const stack = writeStackWithIdentity(dir, {
      "secrets.store": "awssm://us-east-1",
      "secrets.ageIdentity": name,
    });
    await stockBackup(new FileStore(stack.storeUrl), source.url);
    const env = { AWS_ENDPOINT_URL_SECRETS_MANAGER: s3Endpoint() };
    const args = ["restore", "--stack", stack.file, "--to-file", join(dir, "out.pgc"), "--json"];

    const before = await runCli(args, env);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain(`no secret "${name}" in awssm://us-east-1`);

    await new AwsSecretStore("awssm://us-east-1", secretsManagerClient()).put(name, `${identity}\n`);
    const ok = await runCli(args, env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(jsonResult(ok)).toMatchObject({
      status: "restored",
      identitySource: `secret "${name}" in awssm://us-east-1`,
    });
    expect(ok.stderr + ok.stdout).not.toContain(identity);
  });
});
