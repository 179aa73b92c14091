import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { UserError } from "../../../posture/errors.ts";
import { HashTap } from "../hash.ts";
import { isManifestKey, type Manifest, manifestKey, manifestSchema } from "../manifest.ts";
import type { Store } from "../store/index.ts";

/** Every backup with a manifest, oldest first (ids sort by time). A dump without a manifest does not exist. */
export async function listBackupIds(store: Store): Promise<string[]> {
  return (await store.list())
    .filter((o) => isManifestKey(o.key))
    .map((o) => o.key.slice(0, -"/manifest.json".length))
    .sort();
}

export async function readManifest(store: Store, id: string): Promise<Manifest> {
  if (!(await store.exists(manifestKey(id))))
    throw new UserError(`no backup ${id} in ${store.url}`, { hint: "list backups: rampart backups list" });
  const raw: unknown = JSON.parse((await store.getBytes(manifestKey(id))).toString("utf8"));
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success)
    throw new UserError(`the manifest of backup ${id} is invalid: ${parsed.error.message}`, {
      hint: `inspect ${store.url}/${manifestKey(id)}; restore with stock tools (BACKUP.md) if you must`,
    });
  if (parsed.data.id !== id)
    throw new UserError(`manifest ${manifestKey(id)} names another backup: ${parsed.data.id}`);
  return parsed.data;
}

/** `latest` → the newest backup id in the store. */
export async function resolveBackupId(store: Store, spec: string): Promise<string> {
  if (spec !== "latest") return spec;
  const ids = await listBackupIds(store);
  const last = ids.at(-1);
  if (!last) throw new UserError(`no backups in ${store.url}`, { hint: "run rampart backup first" });
  return last;
}

/**
 * Download the stored object to `dir` while hashing it, and refuse it unless size and SHA-256 match the
 * manifest. Nothing is decrypted before this passes: a tampered or truncated object never reaches age.
 */
export async function fetchVerified(
  store: Store,
  manifest: Manifest,
  dir: string,
  onProgress?: (bytes: number) => void,
): Promise<string> {
  const path = join(dir, "dump.pgc.zst.age");
  const tap = new HashTap();
  if (onProgress) tap.on("data", () => onProgress(tap.bytes));
  await pipeline(await store.get(manifest.object), tap, createWriteStream(path));
  const { bytes } = tap;
  const sha256 = tap.sha256();
  if (bytes !== manifest.storedBytes || sha256 !== manifest.sha256)
    throw new UserError(
      `backup ${manifest.id} failed its integrity check: refusing to decrypt or restore it`,
      {
        hint: [
          `stored object ${store.url}/${manifest.object}: ${bytes} bytes, sha256 ${sha256}`,
          `manifest expects: ${manifest.storedBytes} bytes, sha256 ${manifest.sha256}`,
          "the object was altered or truncated; restore an older backup, and treat this as a security incident",
        ],
      },
    );
  return path;
}
