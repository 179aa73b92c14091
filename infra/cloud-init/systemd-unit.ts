/** One `[Section]` of a unit file: keys in order; a key may repeat (e.g. `After=`). */
export type UnitSection = readonly (readonly [key: string, value: string])[];
export type Unit = Readonly<Record<string, UnitSection>>;

/**
 * A systemd unit file from sections. Values are single lines (a newline would start a new directive,
 * so it is refused). ExecStart= lines are argv for systemd, not a shell: see `execLine`.
 */
export function renderUnit(unit: Unit): string {
  return Object.entries(unit)
    .map(([section, entries]) => {
      const lines = entries.map(([k, v]) => {
        if (/[\r\n]/.test(v)) throw new Error(`systemd unit: ${section}.${k} must be a single line`);
        return `${k}=${v}`;
      });
      return [`[${section}]`, ...lines].join("\n");
    })
    .join("\n\n")
    .concat("\n");
}

/**
 * An ExecStart= command line. systemd splits on whitespace and expands `$VAR`, `%x` and quotes, so
 * every argument must be a plain word: anything else is refused rather than escaped.
 */
export function execLine(argv: readonly string[]): string {
  for (const a of argv)
    if (!/^[A-Za-z0-9_@:/.,=+-]+$/.test(a))
      throw new Error(`systemd ExecStart: argument "${a}" is not a plain word (no spaces, $, %, quotes)`);
  return argv.join(" ");
}
