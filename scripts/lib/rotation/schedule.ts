import type { RotatedSecret } from "../../../posture/schema/rotation.ts";
import type { SecretStore, Stage } from "../secrets/index.ts";

const DAY = 86_400_000;

/** What `--status` shows for one secret: every stage and its age, the rotation in progress, when it is due. */
export type SecretStatus = {
  secret: string;
  kind: RotatedSecret["kind"];
  intervalDays: number;
  stages: Partial<Record<Stage, { version: string; since: string }>>;
  inProgress: { token: string; step: string; startedAt: string; updatedAt: string } | null;
  /** When the current version was made (null: never rotated / no value). */
  lastRotated: string | null;
  /** lastRotated + intervalDays; null means due now (never rotated). */
  dueAt: string | null;
  due: boolean;
};

/** Due when the current version is older than intervalDays, or when there is no current version at all. */
export function dueAt(lastRotated: Date | null, intervalDays: number): Date | null {
  return lastRotated ? new Date(lastRotated.getTime() + intervalDays * DAY) : null;
}

export async function secretStatus(
  store: SecretStore,
  name: string,
  spec: RotatedSecret,
  now: Date,
): Promise<SecretStatus> {
  const [versions, state] = await Promise.all([store.versions(name), store.state(name)]);
  const stages: SecretStatus["stages"] = {};
  for (const v of versions)
    for (const s of v.stages) stages[s] = { version: v.id, since: v.createdAt.toISOString() };
  const current = versions.find((v) => v.stages.includes("current"));
  const last = current ? current.createdAt : null;
  const due = dueAt(last, spec.intervalDays);
  return {
    secret: name,
    kind: spec.kind,
    intervalDays: spec.intervalDays,
    stages,
    inProgress: state
      ? { token: state.token, step: state.step, startedAt: state.startedAt, updatedAt: state.updatedAt }
      : null,
    lastRotated: last ? last.toISOString() : null,
    dueAt: due ? due.toISOString() : null,
    due: due === null || due.getTime() <= now.getTime(),
  };
}

/** "3d 4h" style age for status tables. */
export function age(since: string | null, now: Date): string {
  if (!since) return "-";
  const ms = now.getTime() - Date.parse(since);
  const d = Math.floor(ms / DAY);
  const h = Math.floor((ms % DAY) / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m`;
}
