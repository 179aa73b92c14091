import { createLogger } from "../../scripts/lib/log.ts";

/** A logger that discards everything: for library calls whose logs the test does not read. */
export const silentLog = () =>
  createLogger({ stream: { write: () => true } as unknown as NodeJS.WritableStream, json: true });
