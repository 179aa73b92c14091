// Throwaway stack files for tests: a copy of a shipped stack (stacks/Pulumi.<from>.yaml) with edits under
// rampart:posture, so every test posture stays a real, complete one and follows the shipped stacks.
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseDocument } from "yaml";
import { DEMO_IDENTITY_FILE } from "./age.ts";

const STACKS = new URL("../../stacks/", import.meta.url).pathname;

/** Posture edits: a dotted path under rampart:posture ("backups.store", "tiers.1.afterDays") → its new value; undefined removes the key. */
export type PostureEdits = Record<string, unknown>;

/** Write stacks/Pulumi.<from>.yaml with `edits` applied to `file` (comments and layout kept). */
export function copyStack(from: string, file: string, edits: PostureEdits): void {
  const doc = parseDocument(readFileSync(join(STACKS, `Pulumi.${from}.yaml`), "utf8"));
  for (const [path, value] of Object.entries(edits)) {
    const steps = path.split(".").map((step) => (/^\d+$/.test(step) ? Number(step) : step));
    const full = ["config", "rampart:posture", ...steps];
    if (value === undefined) doc.deleteIn(full);
    else doc.setIn(full, value);
  }
  writeFileSync(file, doc.toString());
}

export type TestStack = {
  /** The stack file (what --stack and loadPosture take). */
  file: string;
  /** Its backups store (file://<dir>/backups unless set) and the evidence store the posture derives from it. */
  storeUrl: string;
  evidenceUrl: string;
};

/**
 * <dir>/Pulumi.<name>.yaml: a copy of the `from` stack (default: local) whose backups store is
 * file://<dir>/backups and whose secret store is file://<dir>/secrets.env, then `set` applied on top.
 * The stack name shows in monitor slugs and manifests.
 */
export function writeStack(dir: string, name: string, set: PostureEdits = {}, from = "local"): TestStack {
  const edits: PostureEdits = {
    "backups.store": pathToFileURL(join(dir, "backups")).href,
    "secrets.store": pathToFileURL(join(dir, "secrets.env")).href,
    ...set,
  };
  const file = join(dir, `Pulumi.${name}.yaml`);
  copyStack(from, file, edits);
  const storeUrl = String(edits["backups.store"]);
  return { file, storeUrl, evidenceUrl: `${storeUrl}/evidence` };
}

/** A TestStack and an identity file that decrypts its backups. */
export type IdentityStack = TestStack & { identityFile: string };

/** writeStack(dir, "test", set) plus <dir>/identity.txt (mode 600): the demo identity, which reads the stack's backups. */
export function writeStackWithIdentity(dir: string, set: PostureEdits = {}): IdentityStack {
  const stack = writeStack(dir, "test", set);
  const identityFile = join(dir, "identity.txt");
  copyFileSync(DEMO_IDENTITY_FILE, identityFile);
  chmodSync(identityFile, 0o600);
  return { ...stack, identityFile };
}

/**
 * <dir>/Pulumi.rotation-test.yaml: the local stack with `secrets` as rotation.secrets (more edits in `set`,
 * e.g. "secrets.store"); its backups and evidence go to <dir>/backups. Returns the stack file.
 */
export const rotationStack = (
  dir: string,
  secrets: Record<string, unknown>,
  set: PostureEdits = {},
): string => writeStack(dir, "rotation-test", { "rotation.secrets": secrets, ...set }).file;
