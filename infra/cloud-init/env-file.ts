import { quoteEnv } from "../../scripts/lib/secrets/env-format.ts";

/**
 * An env file for `docker run --env-file` and systemd `EnvironmentFile=`: `NAME=value` lines.
 * `docker run --env-file` takes values literally (no quotes, no escapes), so only plain values are
 * allowed: anything `quoteEnv` would have to quote is refused here instead of being silently mangled.
 * Nothing in these files ever reaches a shell.
 */
export function renderEnvFile(entries: Readonly<Record<string, string>>): string {
  const lines = Object.entries(entries).map(([name, value]) => {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`env file: "${name}" is not an UPPER_CASE name`);
    if (quoteEnv(value) !== value)
      throw new Error(`env file: the value of ${name} holds characters an env file cannot carry literally`);
    return `${name}=${value}`;
  });
  return `${lines.join("\n")}\n`;
}
