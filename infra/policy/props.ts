// Narrowing helpers over untyped resource inputs (CrossGuard hands rules `Record<string, any>`).

export type Props = Record<string, unknown>;

const isRecord = (v: unknown): v is Props => typeof v === "object" && v !== null && !Array.isArray(v);

/** The value at a dotted path ("settings.ipConfiguration.sslMode"); a lone object in an array is stepped into. */
export function at(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const key of path.split(".")) {
    if (Array.isArray(v) && v.length === 1) v = v[0];
    if (!isRecord(v)) return undefined;
    v = v[key];
  }
  return v;
}

export const list = (v: unknown): unknown[] =>
  Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
export const records = (v: unknown): Props[] => list(v).filter(isRecord);

/** Numbers may arrive as strings (e.g. "35" from YAML-ish provider inputs). */
export function num(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Provider booleans: true, "true", "on", "1". */
export const truthy = (v: unknown): boolean =>
  v === true || v === "true" || v === "on" || v === "1" || v === 1;

/** Google durations ("7776000s") → seconds. */
export function seconds(v: unknown): number | undefined {
  const s = str(v);
  if (s && /^\d+(\.\d+)?s$/.test(s)) return Number(s.slice(0, -1));
  return num(v);
}

/** A JSON policy document given as a string or an object. */
export function json(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

export { isRecord };
