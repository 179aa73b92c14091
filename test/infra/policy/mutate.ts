import type { Subject } from "../../../infra/policy/types.ts";

export type Mutation = (rs: Subject[]) => Subject[];

const clone = (rs: readonly Subject[]): Subject[] => structuredClone(rs as Subject[]);

/** Set a dotted path (creating objects; `[0]` steps into arrays) on every resource of `type` whose name includes `name`. */
export const set =
  (type: string, name: string, path: string, value: unknown): Mutation =>
  (rs) => {
    const hits = rs.filter((r) => r.type === type && r.name.includes(name));
    if (!hits.length) throw new Error(`fixture has no ${type} named *${name}*`);
    for (const r of hits) {
      const keys = path.split(".");
      let o: Record<string, unknown> = r.props;
      for (const k of keys.slice(0, -1)) {
        const [key, idx] = k.split("[") as [string, string | undefined];
        let next = o[key];
        if (idx !== undefined) next = (next as unknown[])[Number.parseInt(idx, 10)];
        if (next === undefined || next === null) o[key] = next = {};
        o = next as Record<string, unknown>;
      }
      const last = keys.at(-1) as string;
      if (value === undefined) delete o[last];
      else o[last] = value;
    }
    return rs;
  };

/** Remove every resource of `type` whose name includes `name`. */
export const drop =
  (type: string, name = ""): Mutation =>
  (rs) => {
    const kept = rs.filter((r) => !(r.type === type && r.name.includes(name)));
    if (kept.length === rs.length) throw new Error(`fixture has no ${type} named *${name}*`);
    return kept;
  };

export const add =
  (r: Subject): Mutation =>
  (rs) => [...rs, r];

/** Apply a mutation to a deep copy of the fixture. */
export const apply = (rs: readonly Subject[], m: Mutation) => m(clone(rs));
