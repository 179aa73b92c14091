import type { Step } from "../secrets/index.ts";

/**
 * TEST-ONLY fault injection: RAMPART_ROTATE_CRASH_AFTER=<create|set|test|finish> kills this process with
 * SIGKILL right after that step is persisted (and audited), so tests can prove `rotate --resume` recovers
 * from a crash at every point. Never set it in production.
 */
export function crashPoint(step: Step): void {
  if (process.env.RAMPART_ROTATE_CRASH_AFTER === step) process.kill(process.pid, "SIGKILL");
}
