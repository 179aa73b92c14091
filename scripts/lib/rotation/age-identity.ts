import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import type { Posture } from "../../../posture/index.ts";
import { longestRetentionDays, recipientsSecretName } from "../../../posture/index.ts";
import type { RotatedSecret } from "../../../posture/schema/rotation.ts";
import { decryptStream, encryptStream, generateIdentity, identityToRecipient } from "../age.ts";
import { readCatalog } from "../backup/catalog.ts";
import { openSecretStore } from "../secrets/index.ts";
import { openStore } from "../store/index.ts";
import { formatKeyring, type KeyringEntry, parseKeyring } from "./age-keyring.ts";
import { type RotationKind, RotationTestFailed } from "./types.ts";

type Spec = Extract<RotatedSecret, { kind: "age-identity" }>;
const DAY = 86_400_000;
/** Backups that were still being written when the key was retired finish within this margin. */
const MARGIN_MS = DAY;

/** The public recipient list new backups must encrypt to, published next to the identity secret. */
export const recipientsName = recipientsSecretName;

/**
 * The recipients `rampart backup` encrypts to: posture.backups.recipients plus the rotated recipients
 * published in the secret store as `<secrets.ageIdentity>-recipients` (public keys, one per line). A
 * backup job can read it without holding any identity.
 */
export async function currentRecipients(posture: Posture): Promise<string[]> {
  // Only a posture that rotates its backup key publishes recipients; the others need no secret-store access.
  if (posture.rotation.secrets[posture.secrets.ageIdentity]?.kind !== "age-identity")
    return [...posture.backups.recipients];
  const store = await openSecretStore(posture.secrets.store);
  const published = (await store.get(recipientsName(posture.secrets.ageIdentity))) ?? "";
  const lines = published
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  return [...new Set([...posture.backups.recipients, ...lines])];
}

const recipientsOf = (entries: readonly KeyringEntry[]) =>
  Promise.all(entries.map((e) => identityToRecipient(e.identity)));

/**
 * Backup encryption key (age identity). The new identity becomes the recipient for new backups; retired
 * identities stay in the secret (restore reads them all) until every backup encrypted to them has been
 * pruned under retention, then they are destroyed (dropped from the value, old versions purged).
 */
export const ageIdentity: RotationKind<Spec> = {
  unattended: true,

  async create(ctx) {
    const now = ctx.now().toISOString();
    const old = parseKeyring(await ctx.store.get(ctx.name), `secret ${ctx.name}`).map((e) => ({
      ...e,
      retired: e.retired ?? now,
    }));
    const fresh = { identity: await generateIdentity(), created: now };
    return {
      value: formatKeyring([fresh, ...old]),
      data: { recipient: await identityToRecipient(fresh.identity) },
    };
  },

  async set(ctx, pending) {
    // During the rotation new backups go to both the current and the new recipient: either identity restores them.
    const [fresh] = parseKeyring(pending, `pending ${ctx.name}`);
    const [live] = parseKeyring(await ctx.store.get(ctx.name), `secret ${ctx.name}`);
    const list = await recipientsOf([fresh, live].filter((e): e is KeyringEntry => e !== undefined));
    await ctx.store.put(recipientsName(ctx.name), `${list.join("\n")}\n`);
    return undefined;
  },

  async test(ctx, pending) {
    const [fresh] = parseKeyring(pending, `pending ${ctx.name}`);
    const want = ctx.state.data.recipient;
    const published = (await ctx.store.get(recipientsName(ctx.name))) ?? "";
    if (!fresh || !want || !published.split("\n").includes(want))
      throw new RotationTestFailed(`the new recipient ${want} is not in ${recipientsName(ctx.name)}`);
    const probe = Buffer.from(`rampart rotation probe ${ctx.state.token}`);
    const encrypted = await buffer(Readable.from([probe]).pipe(await encryptStream([want])));
    const chunks: Buffer[] = [];
    await pipeline(
      Readable.from([encrypted]),
      await decryptStream([fresh.identity]),
      async (src: AsyncIterable<Buffer>) => {
        for await (const c of src) chunks.push(c);
      },
    );
    if (!Buffer.concat(chunks).equals(probe))
      throw new RotationTestFailed("the new identity does not decrypt a probe encrypted to its recipient");
  },

  async sync(ctx) {
    const notes: string[] = [];
    const entries = parseKeyring(await ctx.store.get(ctx.name), `secret ${ctx.name}`);
    if (entries.length === 0) return notes;
    const [live, ...retired] = entries;
    // Publish only the live recipient unless a rotation is in progress (set added the new one).
    if (!(await ctx.store.state(ctx.name))) {
      const want = `${(await recipientsOf([live as KeyringEntry])).join("\n")}\n`;
      if ((await ctx.store.get(recipientsName(ctx.name))) !== want) {
        await ctx.store.put(recipientsName(ctx.name), want);
        notes.push(`${recipientsName(ctx.name)} now lists only the live recipient`);
      }
    }
    const keep = await retainedIdentities(ctx.posture, retired, ctx.now(), notes);
    if (keep.length < retired.length) {
      await ctx.store.put(ctx.name, formatKeyring([live as KeyringEntry, ...keep]));
      await ctx.store.purge(ctx.name);
      await ctx.store.purge(recipientsName(ctx.name));
    }
    return notes;
  },
};

/** Retired identities that may still be needed: retention not over, or a backup still lists their recipient. */
async function retainedIdentities(
  posture: Posture,
  retired: KeyringEntry[],
  now: Date,
  notes: string[],
): Promise<KeyringEntry[]> {
  const keepMs = longestRetentionDays(posture.backups.retention) * DAY + MARGIN_MS;
  const expired = retired.filter((e) => e.retired && now.getTime() - Date.parse(e.retired) > keepMs);
  if (expired.length === 0) return retired;
  let inUse: Set<string>;
  try {
    const catalog = await readCatalog(await openStore(posture.stores.backups));
    inUse = new Set(catalog.backups.flatMap((b) => b.encryption.recipients.map((r) => r.recipient)));
  } catch (err) {
    notes.push(`kept retired identities: cannot read the backup catalog (${(err as Error).message})`);
    return retired;
  }
  const out: KeyringEntry[] = [];
  for (const e of retired) {
    const recipient = await identityToRecipient(e.identity);
    if (!expired.includes(e)) out.push(e);
    else if (inUse.has(recipient)) {
      out.push(e);
      notes.push(`kept retired identity ${recipient}: a backup encrypted to it is still retained`);
    } else notes.push(`destroyed retired identity ${recipient} (retired ${e.retired})`);
  }
  return out;
}
