import { createLogger } from "../../scripts/lib/log.ts";

/** A logger that discards everything: for library calls whose logs the test does not read. */
export const silentLog = () =>
  createLogger({ stream: { write: () => true } as unknown as NodeJS.WritableStream, json: true });

/** A verbose JSON logger whose lines the test reads (`text()`: all of them, joined). */
export function capturedLog() {
  const lines: string[] = [];
  const stream = { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream;
  return { lines, text: () => lines.join(""), log: createLogger({ verbose: true, json: true, stream }) };
}
