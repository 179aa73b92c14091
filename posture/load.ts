import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { isMap, parseDocument } from "yaml";
import { ConfigError } from "./errors.ts";
import { formatIssues } from "./format.ts";
import { type Posture, resolvePosture } from "./resolve.ts";
import { postureSchema } from "./schema/index.ts";

export const POSTURE_KEY = "rampart:posture";

/** The repo root: the nearest directory upwards holding Pulumi.yaml. */
export function projectRoot(from = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(from);
    dir = up;
  }
}

export function listStacks(root = projectRoot()): string[] {
  const dir = join(root, "stacks");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** `gcp-zurich` -> stacks/Pulumi.gcp-zurich.yaml; a path is used as is. */
export function stackFile(stackOrPath: string, root = projectRoot()): { stack: string; file: string } {
  if (stackOrPath.includes("/") || /\.ya?ml$/.test(stackOrPath)) {
    const file = isAbsolute(stackOrPath) ? stackOrPath : resolve(stackOrPath);
    const stack = /^Pulumi\.(.+)\.ya?ml$/.exec(basename(file))?.[1] ?? basename(file).replace(/\.ya?ml$/, "");
    return { stack, file };
  }
  return { stack: stackOrPath, file: join(root, "stacks", `Pulumi.${stackOrPath}.yaml`) };
}

/** Validate a posture object (e.g. from Pulumi config). `file` is used in error messages only. */
export function parsePosture(raw: unknown, source: Posture["source"]): Posture {
  const display = displayPath(source.file);
  if (raw === undefined || raw === null)
    throw new ConfigError(
      display,
      [`${display}: ${POSTURE_KEY}: is missing`],
      `add a "${POSTURE_KEY}:" map under "config:" (see stacks/Pulumi.local.yaml)`,
    );
  const result = postureSchema.safeParse(raw);
  if (!result.success)
    throw new ConfigError(
      display,
      formatIssues(display, POSTURE_KEY, postureSchema, result.error.issues, raw),
    );
  return resolvePosture(result.data, source);
}

/** Load and validate `rampart:posture` from a Pulumi stack file. */
export function loadPosture(stackOrPath: string, root = projectRoot()): Posture {
  const { stack, file } = stackFile(stackOrPath, root);
  const display = displayPath(file);
  if (!existsSync(file)) {
    const known = listStacks(root);
    throw new ConfigError(
      display,
      [`${display}: no such stack file`],
      known.length ? `known stacks: ${known.join(", ")}` : "create stacks/Pulumi.<stack>.yaml",
    );
  }
  const doc = parseDocument(readFileSync(file, "utf8"), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length)
    throw new ConfigError(
      display,
      doc.errors.map((e) => `${display}: line ${e.linePos?.[0].line ?? "?"}: ${e.message.split("\n")[0]}`),
      "fix the YAML syntax",
    );
  const config = doc.get("config");
  if (!isMap(config))
    throw new ConfigError(
      display,
      [`${display}: config: is missing`],
      `a Pulumi stack file has a top-level "config:" map holding "${POSTURE_KEY}:"`,
    );
  const raw = doc.toJS()?.config?.[POSTURE_KEY];
  return parsePosture(raw, { stack, file });
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}
