/**
 * The env-file format the self-hosted profile uses (docker compose `env_file`, systemd `EnvironmentFile`):
 * `NAME=value` lines. Values that are not plain are written double-quoted with \\ \" \n escapes, which both
 * tools understand, so multi-line values (age identity files) survive.
 */
const PLAIN = /^[A-Za-z0-9_\-.:/+=@,]*$/;
const LINE = /^\s*(?:export\s+)?([A-Za-z0-9_\-./]+)\s*=\s*(.*?)\s*$/;

export function parseEnv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trimStart().startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m?.[1]) continue;
    out.set(m[1], unquote(m[2] ?? ""));
  }
  return out;
}

function unquote(raw: string): string {
  if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'")) return raw.slice(1, -1);
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"'))
    return raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  return raw;
}

export function quoteEnv(value: string): string {
  if (PLAIN.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, "\\n")}"`;
}

export function formatEnv(entries: Map<string, string>): string {
  return [...entries].map(([k, v]) => `${k}=${quoteEnv(v)}\n`).join("");
}
