import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseDocument } from "yaml";

const ROOT = new URL("../../../../", import.meta.url).pathname;

/**
 * A copy of the local stack under `dir` with its own stores (secrets env file, backups, evidence) and
 * the given rotation.secrets. Returns the stack file path (what --stack and loadPosture take).
 */
export function rotationStack(
  dir: string,
  secrets: Record<string, unknown>,
  opts: { secretsStore?: string; retention?: Record<string, number> } = {},
): string {
  mkdirSync(join(dir, "stacks"), { recursive: true });
  const doc = parseDocument(readFileSync(join(ROOT, "stacks", "Pulumi.local.yaml"), "utf8"));
  const set = (path: string[], value: unknown) => doc.setIn(["config", "rampart:posture", ...path], value);
  set(["backups", "store"], pathToFileURL(join(dir, "backups")).href);
  set(["secrets", "store"], opts.secretsStore ?? pathToFileURL(join(dir, "secrets.env")).href);
  set(["rotation", "secrets"], secrets);
  if (opts.retention) set(["backups", "retention"], opts.retention);
  const file = join(dir, "stacks", "Pulumi.rotation-test.yaml");
  writeFileSync(file, doc.toString());
  return file;
}
