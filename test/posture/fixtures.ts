import { join } from "node:path";
import { copyStack } from "../support/stacks.ts";
import { tempDirSync } from "../support/temp.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;

/** Copy a shipped stack file with one edit at a YAML path under rampart:posture; returns the new file's path. */
export function variant(stack: string, path: (string | number)[], value: unknown, remove = false): string {
  const file = join(tempDirSync("rampart-posture-"), `Pulumi.${stack}-variant.yaml`);
  copyStack(stack, file, { [path.join(".")]: remove ? undefined : value });
  return file;
}
