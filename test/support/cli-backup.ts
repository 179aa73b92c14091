// A backup made by the real CLI (`rampart backup`), and the manifest it wrote: the setup of the restore tests.
import { expect } from "vitest";
import type { Manifest } from "../../scripts/lib/manifest.ts";
import { listBackupIds, readManifest } from "../../scripts/lib/restore/fetch.ts";
import { FileStore } from "../../scripts/lib/store/file.ts";
import { runCli } from "./cli.ts";
import type { TestStack } from "./stacks.ts";

/** `rampart backup` of `databaseUrl` into the stack's file store; the store and the new backup's manifest. */
export async function cliBackup(
  stack: TestStack,
  databaseUrl: string,
): Promise<{ store: FileStore; manifest: Manifest }> {
  const backup = await runCli(["backup", "--stack", stack.file, "--json"], { DATABASE_URL: databaseUrl });
  expect(backup.code, backup.stderr).toBe(0);
  const store = new FileStore(stack.storeUrl);
  return { store, manifest: await readManifest(store, (await listBackupIds(store)).at(-1) as string) };
}
