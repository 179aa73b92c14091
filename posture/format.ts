import type { z } from "zod";

/** `rampart:posture.backups.retention[0].days` style path. */
export function keyPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const k of path) out += typeof k === "number" ? `[${k}]` : `.${String(k)}`;
  return out;
}

/** Closest known key, for "did you mean" hints on typos. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

/** Known keys of the (strict) object schema at `path`, walking through wrappers. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod internals generically
  let s: any = schema;
  const unwrap = () => {
    for (let i = 0; i < 10 && s?._zod?.def?.innerType; i++) s = s._zod.def.innerType;
    if (s?._zod?.def?.type === "pipe") s = s._zod.def.in;
  };
  unwrap();
  for (const k of path) {
    unwrap();
    const def = s?._zod?.def;
    if (def?.type === "object") s = def.shape[k as string];
    else if (def?.type === "array") s = def.element;
    else if (def?.type === "record") s = def.valueType;
    else return [];
  }
  unwrap();
  return s?._zod?.def?.type === "object" ? Object.keys(s._zod.def.shape) : [];
}

const describe = (v: unknown) => (v === undefined ? "missing" : JSON.stringify(v));

/** One `file: key: problem` line per zod issue, with the fix where we can tell it. */
export function formatIssues(
  file: string,
  root: string,
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
): string[] {
  const lines: string[] = [];
  for (const i of issues) {
    if (i.code === "unrecognized_keys") {
      const known = knownKeys(schema, i.path);
      for (const key of i.keys) {
        const guess = closest(key, known);
        lines.push(
          `${file}: ${keyPath(root, [...i.path, key])}: unknown key` +
            (guess ? `; did you mean "${guess}"?` : known.length ? `; known keys: ${known.join(", ")}` : ""),
        );
      }
      continue;
    }
    const got = valueAt(input, i.path);
    const primitive = got !== undefined && (got === null || typeof got !== "object");
    let msg = i.message;
    if (i.code === "invalid_type")
      msg = got === undefined ? `is required (${i.expected})` : `${describe(got)} is not a ${i.expected}`;
    else if (i.code === "invalid_value")
      msg = `${describe(got)} is not one of ${i.values.map((v) => JSON.stringify(v)).join(", ")}`;
    else if (i.code === "invalid_union" && i.discriminator)
      msg = `unknown ${i.discriminator} ${describe(valueAt(got, [i.discriminator]))}`;
    else if (primitive && /^(must|is |Too|Invalid)/.test(msg))
      msg = `${describe(got)} ${msg.replace(/^Too/, "too").replace(/^Invalid/, "invalid")}`;
    lines.push(`${file}: ${keyPath(root, i.path)}: ${msg}`);
  }
  return lines;
}

function valueAt(v: unknown, path: readonly PropertyKey[]): unknown {
  let cur = v;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}
