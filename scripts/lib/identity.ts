import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { UserError } from "../../posture/errors.ts";
import type { Posture } from "../../posture/index.ts";
import { parseIdentities, readIdentityFile } from "./age.ts";
import { openSecretStore } from "./secrets/index.ts";

/** Where the identity came from, for logs and evidence (never the key). */
export type ResolvedIdentity = { identities: string[]; source: string };

/**
 * The age identity restore and drill decrypt with, in order: --identity-file / RAMPART_AGE_IDENTITY_FILE
 * (commander fills the option from the env), else the entry posture.secrets.ageIdentity of the stack's
 * secret store (env file, AWS Secrets Manager, GCP Secret Manager). Only a path or a reference is ever an
 * argument; the key itself never is.
 */
export async function resolveIdentity(posture: Posture, identityFile?: string): Promise<ResolvedIdentity> {
  if (identityFile)
    return { identities: await readIdentityFile(identityFile), source: `file ${identityFile}` };
  const { store, ageIdentity: name } = posture.secrets;
  const where = `secret "${name}" in ${store}`;
  const hint = [
    "pass --identity-file <path> (mode 600) or set RAMPART_AGE_IDENTITY_FILE",
    `or store the identity (AGE-SECRET-KEY-1...) as ${name} in ${store} (BACKUP.md: "Where the age identity lives")`,
  ];
  if (store.startsWith("file:")) {
    const path = fileURLToPath(store);
    const info = await stat(path).catch(() => null);
    if (!info) throw new UserError(`cannot read the age identity: ${path} does not exist`, { hint });
    if ((info.mode & 0o077) !== 0)
      throw new UserError(
        `secret store ${path} is readable by others (mode ${(info.mode & 0o777).toString(8)})`,
        {
          hint: `chmod 600 ${path}`,
          exitCode: 2,
        },
      );
  }
  const value = await (await openSecretStore(store)).get(name).catch((e: Error) => {
    throw new UserError(`cannot read the age identity, ${where}: ${e.message}`, { hint, cause: e });
  });
  if (!value) throw new UserError(`cannot read the age identity: no ${where}`, { hint });
  return { identities: parseIdentities(value, where), source: where };
}
