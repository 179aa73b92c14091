import { parseIdentities } from "../age.ts";

/**
 * The value of the age identity secret: an age identity file (what `age -d -i` and restore read) holding
 * the live identity first, then retired identities kept for restoring older backups. Each identity is
 * preceded by a `# rampart:` comment line with its dates; age ignores comments.
 */
export type KeyringEntry = { identity: string; created?: string; retired?: string };

const META = /^#\s*rampart:\s*(.*)$/;

export function parseKeyring(text: string | undefined, source: string): KeyringEntry[] {
  if (!text?.trim()) return [];
  const out: KeyringEntry[] = [];
  let meta: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const m = META.exec(line);
    if (m) {
      meta = Object.fromEntries(
        (m[1] ?? "").split(/\s+/).flatMap((kv) => {
          const [k, v] = kv.split("=");
          return k && v ? [[k, v]] : [];
        }),
      );
      continue;
    }
    if (line === "" || line.startsWith("#")) continue;
    const [identity] = parseIdentities(line, source);
    out.push({
      identity: identity as string,
      ...(meta.created ? { created: meta.created } : {}),
      ...(meta.retired ? { retired: meta.retired } : {}),
    });
    meta = {};
  }
  return out;
}

export function formatKeyring(entries: readonly KeyringEntry[]): string {
  return entries
    .map((e) => {
      const meta = [e.created ? `created=${e.created}` : "", e.retired ? `retired=${e.retired}` : ""].filter(
        Boolean,
      );
      return `${meta.length ? `# rampart: ${meta.join(" ")}\n` : ""}${e.identity}\n`;
    })
    .join("");
}
