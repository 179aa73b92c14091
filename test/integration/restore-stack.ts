// A throwaway stack for CLI tests: the local demo stack with its stores and secret store moved to a temp dir.
import { chmod, copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse, stringify } from "yaml";
import { DEMO_IDENTITY_FILE } from "./restore-fixture.ts";

export type TestStack = { file: string; storeUrl: string; evidenceUrl: string; identityFile: string };

export async function writeTestStack(
  dir: string,
  overrides: {
    backupsStore?: string;
    verify?: unknown[];
    rtoMinutes?: number;
    rpoMinutes?: number;
    secrets?: { store: string; ageIdentity?: string };
  } = {},
): Promise<TestStack> {
  const doc = parse(await readFile(new URL("../../stacks/Pulumi.local.yaml", import.meta.url), "utf8")) as {
    config: { "rampart:posture": Record<string, Record<string, unknown>> };
  };
  const p = doc.config["rampart:posture"];
  const storeUrl = overrides.backupsStore ?? pathToFileURL(join(dir, "store")).href;
  (p.backups as Record<string, unknown>).store = storeUrl;
  p.secrets = overrides.secrets ?? { store: pathToFileURL(join(dir, "secrets.env")).href };
  const drills = p.drills as Record<string, unknown>;
  if (overrides.verify) drills.verify = overrides.verify;
  if (overrides.rtoMinutes) drills.rtoMinutes = overrides.rtoMinutes;
  if (overrides.rpoMinutes) drills.rpoMinutes = overrides.rpoMinutes;
  const file = join(dir, "Pulumi.test.yaml");
  await writeFile(file, stringify(doc));
  const identityFile = join(dir, "identity.txt");
  await copyFile(DEMO_IDENTITY_FILE, identityFile);
  await chmod(identityFile, 0o600);
  return { file, storeUrl, evidenceUrl: `${storeUrl}/evidence`, identityFile };
}
