import { readFile } from "node:fs/promises";
import type { ErrorEvent } from "@sentry/node";
import { UserError } from "../../posture/errors.ts";
import type { Posture } from "../../posture/index.ts";
import type { Logger } from "./log.ts";
import { redact, redactValue, registerSecret } from "./redact.ts";
import { TOOL_VERSION } from "./version.ts";

/** The monitor as the posture describes it: schedule and alert windows live in one place. */
export type MonitorSpec = {
  slug: string;
  schedule: string;
  checkinMarginMinutes: number;
  maxRuntimeMinutes: number;
};

export type Reporter = {
  /** in_progress check-in: the run has begun (and holds the lock). */
  started(): void;
  /** ok / error check-in, closing the in_progress one if there was one. */
  finished(status: "ok" | "error"): void;
  /** Report an error as a Sentry event (scrubbed). */
  capture(err: unknown): void;
  /** Deliver everything queued; call before the process exits. */
  close(): Promise<void>;
};

/** DSN from a file (`--sentry-dsn-file`, for secret mounts) or SENTRY_DSN; none → undefined. */
export async function sentryDsn(file: string | undefined, env = process.env): Promise<string | undefined> {
  const dsn = file
    ? (
        await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
          throw new UserError(`cannot read the Sentry DSN file ${file}: ${e.code ?? e.message}`, {
            exitCode: 2,
          });
        })
      ).trim()
    : env.SENTRY_DSN?.trim();
  if (dsn) registerSecret(dsn);
  return dsn || undefined;
}

/** Scrub an event: every string through `redact` (registered secrets, URL passwords, keys), deeply. */
export function scrubEvent(event: ErrorEvent): ErrorEvent {
  return redactValue(event);
}

/**
 * Sentry Crons + error capture for a scheduled job. Minimal SDK setup (no default integrations, no
 * tracing, no PII): a backup job has nothing to trace and must not ship its environment anywhere.
 * The SDK (~0.2 s to load) loads in the background while the job starts; calls wait for it, in call order
 * (each is a reaction on the same promise). A failed load surfaces in close().
 */
export async function startReporter(
  dsn: string | undefined,
  monitor: MonitorSpec,
  meta: { release: string; environment: string },
): Promise<Reporter | undefined> {
  if (!dsn) return undefined;
  const sdk = import("@sentry/node").then((Sentry) => {
    Sentry.init({
      dsn,
      release: meta.release,
      environment: meta.environment,
      defaultIntegrations: false,
      sendDefaultPii: false,
      skipOpenTelemetrySetup: true,
      beforeSend: (event) => scrubEvent(event),
      beforeBreadcrumb: (crumb) => redactValue(crumb),
    });
    return Sentry;
  });
  const later = (fn: (sentry: typeof import("@sentry/node")) => void) => {
    sdk.then(fn).catch(() => {}); // a load failure is reported once, by close()
  };
  const config = {
    schedule: { type: "crontab" as const, value: monitor.schedule },
    checkinMargin: monitor.checkinMarginMinutes,
    maxRuntime: monitor.maxRuntimeMinutes,
    timezone: "Etc/UTC",
  };
  let checkInId: string | undefined;
  let startedAt = Date.now();
  return {
    started() {
      startedAt = Date.now();
      later((Sentry) => {
        checkInId = Sentry.captureCheckIn({ monitorSlug: monitor.slug, status: "in_progress" }, config);
      });
    },
    finished(status) {
      const duration = (Date.now() - startedAt) / 1000;
      later((Sentry) => {
        Sentry.captureCheckIn(
          checkInId
            ? { monitorSlug: monitor.slug, status, checkInId, duration }
            : { monitorSlug: monitor.slug, status },
          config,
        );
      });
    },
    capture(err) {
      // Messages are scrubbed again in beforeSend; redacting here keeps the exception value clean too.
      const e = err instanceof Error ? err : new Error(String(err));
      const clean = new Error(redact(e.message));
      clean.name = e.name;
      clean.stack = redact(e.stack ?? e.message);
      later((Sentry) => Sentry.captureException(clean));
    },
    async close() {
      await (await sdk).close(5_000);
    },
  };
}

/** Monitor slugs: lowercase, digits and dashes (Sentry's rule), per stack so stacks alert separately. */
export const monitorSlug = (job: string, stack: string) =>
  `rampart-${job}-${stack}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 50);

/**
 * The Crons reporter of a scheduled job, with the monitor (schedule, margin, max runtime) taken from the
 * posture, so a missed run alerts too. DSN: --sentry-dsn-file, SENTRY_DSN, else the posture's
 * monitoring.sentryDsnSecret in the stack's secret store. No DSN → undefined (no Sentry at all).
 */
export async function startJobReporter(
  job: "backup" | "drill",
  posture: Posture,
  dsnFile: string | undefined,
  log?: Logger,
): Promise<Reporter | undefined> {
  const schedule = job === "backup" ? posture.backups : posture.drills;
  return startReporter(
    (await sentryDsn(dsnFile)) ?? (await postureDsn(posture, log)),
    {
      slug: monitorSlug(job, posture.source.stack),
      schedule: schedule.schedule,
      checkinMarginMinutes: posture.backups.checkinMarginMinutes,
      maxRuntimeMinutes: schedule.maxRuntimeMinutes,
    },
    { release: `rampart@${TOOL_VERSION}`, environment: posture.source.stack },
  );
}

/**
 * The DSN the posture names (monitoring.sentryDsnSecret) from the stack's secret store. Monitoring must not
 * stop a backup: an unreadable store is a warning (the missed check-in then alerts on Sentry's side).
 */
async function postureDsn(posture: Posture, log?: Logger): Promise<string | undefined> {
  const name = posture.monitoring.sentryDsnSecret;
  if (!name) return undefined;
  try {
    const { openSecretStore } = await import("./secrets/index.ts");
    const dsn = (await (await openSecretStore(posture.secrets.store)).get(name))?.trim();
    if (dsn) registerSecret(dsn);
    else
      log?.warn(
        `no Sentry DSN: secret "${name}" is empty in ${posture.secrets.store}; running without Sentry`,
      );
    return dsn || undefined;
  } catch (e) {
    log?.warn(
      `no Sentry DSN: cannot read secret "${name}" from ${posture.secrets.store}: ${(e as Error).message}`,
    );
    return undefined;
  }
}
