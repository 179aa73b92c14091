import { hostname, userInfo } from "node:os";
import { redactValue } from "./redact.ts";
import { openStore, type Store } from "./store/index.ts";

/**
 * The audit log and evidence locker: one immutable JSON object per event under the stack's evidence store
 * (which the stacks put under object lock). Kinds: "drills", "restores", "rotation", "backups", ...
 * Keys: <kind>/<ISO time>-<slug>.json — sortable, never overwritten.
 */
export type EvidenceEvent = { kind: string; time: string; actor: string; [k: string]: unknown };

export function actor(): string {
  const user =
    process.env.RAMPART_ACTOR ??
    (() => {
      try {
        return userInfo().username;
      } catch {
        return "unknown";
      }
    })();
  return `${user}@${hostname()}`;
}

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.(\d{3})Z$/, "$1Z");
const slugify = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, "-").slice(0, 80);

export class EvidenceLog {
  readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  static async open(url: string): Promise<EvidenceLog> {
    return new EvidenceLog(await openStore(url));
  }

  /** Record an event. Values are redacted; never put secret values in events in the first place. */
  async record(
    kind: string,
    slug: string,
    fields: Record<string, unknown>,
    now = new Date(),
  ): Promise<string> {
    const event: EvidenceEvent = redactValue({ kind, time: now.toISOString(), actor: actor(), ...fields });
    const key = `${kind}/${stamp(now)}-${slugify(slug)}-${Math.random().toString(16).slice(2, 6)}.json`;
    await this.store.putBytes(key, `${JSON.stringify(event, null, 2)}\n`, "application/json");
    return key;
  }

  /** Attach a file (report) next to events: <kind>/<name>. */
  async attach(kind: string, name: string, body: string | Uint8Array, contentType: string): Promise<string> {
    const key = `${kind}/${name}`;
    await this.store.putBytes(key, body, contentType);
    return key;
  }

  /** All events of a kind, oldest first. */
  async list<T extends EvidenceEvent = EvidenceEvent>(kind: string): Promise<(T & { key: string })[]> {
    const objects = (await this.store.list(`${kind}/`)).filter(
      (o) => o.key.endsWith(".json") && !o.key.slice(kind.length + 1).includes("/"),
    );
    const events = await Promise.all(
      objects.map(async (o) => ({
        ...(JSON.parse((await this.store.getBytes(o.key)).toString("utf8")) as T),
        key: o.key,
      })),
    );
    return events.sort((a, b) => a.time.localeCompare(b.time) || a.key.localeCompare(b.key));
  }
}
