// age keys for tests: pairs made by the stock age-keygen (interop), and the public demo key of the local stack.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { generateIdentity, identityToRecipient } from "../../scripts/lib/age.ts";

const execFileP = promisify(execFile);

/** The local stack's demo identity (public, never for real data) and its recipient. */
export const DEMO_IDENTITY_FILE = new URL("../../stacks/local.demo-identity.txt", import.meta.url).pathname;
export const DEMO_RECIPIENT = "age1754s09rf3d02vzfc33qc5hlj7hd50t3rlvyw53pruu7j0msdtg7qaw05y7";

/** The demo identity's AGE-SECRET-KEY line. */
export const demoIdentity = async (): Promise<string> =>
  (await readFile(DEMO_IDENTITY_FILE, "utf8")).trim().split("\n").at(-1) as string;

/** An identity file (<dir>/key.txt) and its recipient, made by the stock age-keygen. */
export async function ageKeyPair(dir: string): Promise<{ keyFile: string; recipient: string }> {
  const keyFile = join(dir, "key.txt");
  await execFileP("age-keygen", ["-o", keyFile]);
  const { stdout } = await execFileP("age-keygen", ["-y", keyFile]);
  return { keyFile, recipient: stdout.trim() };
}

/** A fresh native age identity and its recipient (no age-keygen needed). */
export async function newKeyPair(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}
