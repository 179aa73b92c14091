import { isManifestKey, type Manifest, manifestSchema } from "../manifest.ts";
import type { Store } from "../store/index.ts";

export type Catalog = {
  /** Complete backups (valid manifest and its dump object present), oldest first. */
  backups: Manifest[];
  /** Backup folders with objects but no manifest: failed or in-flight runs. Not backups. */
  incomplete: string[];
  /** Manifests that do not parse or whose dump object is missing. Not backups; never deleted by prune. */
  invalid: { key: string; problem: string }[];
};

/**
 * Read the store's backups. The listing is complete or this throws (Store.list never returns a partial
 * page set), and a manifest that cannot be fetched throws too: retention must not act on half a picture.
 */
export async function readCatalog(store: Store): Promise<Catalog> {
  const objects = await store.list("");
  const keys = new Set(objects.map((o) => o.key));
  const folders = new Set(
    objects.map((o) => o.key.split("/")[0]).filter((f) => /^\d{8}T\d{6}Z-/.test(f ?? "")),
  );
  const backups: Manifest[] = [];
  const invalid: Catalog["invalid"] = [];
  const withManifest = new Set<string>();
  for (const key of [...keys].filter(isManifestKey)) {
    withManifest.add(key.split("/")[0] ?? "");
    const raw = await store.getBytes(key);
    let parsed: ReturnType<typeof manifestSchema.safeParse>;
    try {
      parsed = manifestSchema.safeParse(JSON.parse(raw.toString("utf8")));
    } catch (e) {
      invalid.push({ key, problem: `not JSON: ${(e as Error).message}` });
      continue;
    }
    if (!parsed.success) {
      invalid.push({
        key,
        problem: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
      });
      continue;
    }
    if (!keys.has(parsed.data.object)) {
      invalid.push({ key, problem: `its dump object ${parsed.data.object} is missing` });
      continue;
    }
    backups.push(parsed.data);
  }
  backups.sort((a, b) => a.snapshotTime.localeCompare(b.snapshotTime) || a.id.localeCompare(b.id));
  const incomplete = [...folders].filter((f) => f !== undefined && !withManifest.has(f)).sort() as string[];
  return { backups, incomplete, invalid };
}
