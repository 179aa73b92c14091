import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";

export const ROOT = new URL("../../", import.meta.url).pathname;

/** Copy a shipped stack file with one edit at a YAML path under rampart:posture; returns the new file's path. */
export function variant(stack: string, path: (string | number)[], value: unknown, remove = false): string {
  const doc = parseDocument(readFileSync(join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8"));
  const full = ["config", "rampart:posture", ...path];
  if (remove) doc.deleteIn(full);
  else doc.setIn(full, value);
  const dir = mkdtempSync(join(tmpdir(), "rampart-posture-"));
  const file = join(dir, `Pulumi.${stack}-variant.yaml`);
  writeFileSync(file, doc.toString());
  return file;
}
