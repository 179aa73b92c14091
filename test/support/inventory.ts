import type { Recorded } from "./pulumi-mocks.ts";

export type InventoryEntry = { name: string } & Record<string, unknown>;
export type Inventory = Record<string, InventoryEntry[]>;

/** Inputs whose values are secrets (or derived from them): shown as "[secret]" so snapshots never hold one. */
const SECRET_KEY = /password|secretData|privateKey|apiToken|token$|^certificate$|secret_?string/i;
/** The Pulumi wire marker of a secret value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function clean(value: unknown, key = ""): unknown {
  // Only values that could hold key material: a flag like manageMasterUserPassword: true stays reviewable.
  if (SECRET_KEY.test(key) && value !== undefined && typeof value !== "boolean") return "[secret]";
  if (Array.isArray(value)) return value.map((v) => clean(v));
  if (value && typeof value === "object") {
    if (SECRET_SIG in value) return "[secret]";
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = clean((value as Record<string, unknown>)[k], k);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  return value;
}

/**
 * The reviewable shape of a program: resource type → [{name, ...inputs}], types and names sorted,
 * object keys sorted, secrets replaced. Committed per stack, so a posture change shows up as a diff.
 */
export function inventory(recorded: readonly Recorded[]): Inventory {
  const out: Inventory = {};
  const sorted = [...recorded].sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  for (const r of sorted) {
    // `name` is the logical (Pulumi) name; a physical `name` input is kept as `physicalName`.
    const { name: physicalName, ...inputs } = clean(r.inputs) as Record<string, unknown>;
    const entry = { name: r.name, ...(physicalName === undefined ? {} : { physicalName }), ...inputs };
    const list = out[r.type] ?? [];
    list.push(entry);
    out[r.type] = list;
  }
  return out;
}

/** JSON text for a committed snapshot file (trailing newline, 2-space indent). */
export const inventoryJson = (recorded: readonly Recorded[]) =>
  `${JSON.stringify(inventory(recorded), null, 2)}\n`;
