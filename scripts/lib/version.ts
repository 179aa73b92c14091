import { readFileSync } from "node:fs";

/** The tool's version (package.json), recorded in manifests, evidence and Sentry releases. */
export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
