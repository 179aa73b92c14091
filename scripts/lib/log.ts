import { redact, redactValue } from "./redact.ts";

/**
 * Logs go to stderr, results to stdout. On a TTY: human lines. Otherwise (cron, CI, containers): one JSON
 * object per line, so log pipelines can parse every stage. Everything is redacted.
 */
export type Fields = Record<string, unknown>;
type Level = "debug" | "info" | "warn" | "error";

export type Logger = {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A transient status line (TTY only; no-op otherwise). */
  progress(line: string): void;
  /** Child logger that adds fields to every line. */
  with(fields: Fields): Logger;
};

export type LogOptions = {
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  json?: boolean;
  verbose?: boolean;
  now?: () => Date;
};

export function createLogger(opts: LogOptions = {}, base: Fields = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const json = opts.json ?? !stream.isTTY;
  const now = opts.now ?? (() => new Date());
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) stream.write("\r\x1b[K");
    progressShown = false;
  };
  const write = (level: Level, msg: string, fields: Fields = {}) => {
    if (level === "debug" && !opts.verbose) return;
    const all = redactValue({ ...base, ...fields });
    if (json) {
      stream.write(`${JSON.stringify({ time: now().toISOString(), level, msg: redact(msg), ...all })}\n`);
      return;
    }
    clearProgress();
    const extra = Object.entries(all)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    const tag = level === "info" ? "" : `${level}: `;
    stream.write(`${tag}${redact(msg)}${extra ? `  ${extra}` : ""}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    progress: (line) => {
      if (json) return;
      stream.write(`\r\x1b[K${redact(line)}`);
      progressShown = true;
    },
    with: (fields) => createLogger(opts, { ...base, ...fields }),
  };
}
