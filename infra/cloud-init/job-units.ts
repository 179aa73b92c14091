import { NETWORK } from "./compose.ts";
import { cronToOnCalendar } from "./on-calendar.ts";
import { execLine, renderUnit } from "./systemd-unit.ts";

export type JobName = "backup" | "drill";

export interface JobUnitInput {
  job: JobName;
  /** Posture cron (UTC) and the posture key it came from, for error messages. */
  schedule: string;
  scheduleKey: string;
  /** The Rampart jobs image (posture jobs.image). */
  image: string;
  /** Env files handed to the container (credentials, RAMPART_STACK, DATABASE_URL). */
  envFiles: readonly string[];
  /** Read-only bind mounts (host path = container path), e.g. the file secret store for the drill. */
  mounts?: readonly string[];
  maxRuntimeMinutes: number;
  /** Template unit started with the failed unit's name when the job fails (alerting), e.g. `rampart-job-failed@`. */
  onFailureTemplate?: string;
}

/**
 * `rampart-<job>.service` (a oneshot `docker run` of the jobs image on the Rampart network) and
 * `rampart-<job>.timer` firing on the posture's schedule. Persistent=true runs a slot missed while the
 * server was down as soon as it is back.
 */
export function jobUnits(j: JobUnitInput): { service: string; timer: string; onCalendar: string } {
  const onCalendar = cronToOnCalendar(j.schedule, j.scheduleKey);
  const argv = [
    "/usr/bin/docker",
    "run",
    "--rm",
    `--name=rampart-${j.job}`,
    `--network=${NETWORK}`,
    ...j.envFiles.map((f) => `--env-file=${f}`),
    ...(j.mounts ?? []).map((m) => `--volume=${m}:${m}:ro`),
    j.image,
    j.job,
    "--json",
  ];
  const service = renderUnit({
    Unit: [
      ["Description", `Rampart ${j.job} (${j.scheduleKey})`],
      ["Requires", "rampart-data.service"],
      ["After", "rampart-data.service"],
      // %n: the template instance is this unit's own name, so the alert says which job failed.
      ...(j.onFailureTemplate ? [["OnFailure", `${j.onFailureTemplate}%n.service`] as const] : []),
    ],
    Service: [
      ["Type", "oneshot"],
      ["ExecStart", execLine(argv)],
      ["TimeoutStartSec", `${j.maxRuntimeMinutes}min`],
    ],
  });
  const timer = renderUnit({
    Unit: [["Description", `Rampart ${j.job} on ${j.scheduleKey} "${j.schedule}" (UTC)`]],
    Timer: [
      ["OnCalendar", onCalendar],
      ["Persistent", "true"],
      ["Unit", `rampart-${j.job}.service`],
    ],
    Install: [["WantedBy", "timers.target"]],
  });
  return { service, timer, onCalendar };
}
