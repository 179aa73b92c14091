import type { Posture } from "../../../posture/index.ts";
import { EvidenceLog } from "../evidence.ts";
import { printResult, table } from "../output.ts";
import { openSecretStore } from "../secrets/index.ts";
import type { AuditEvent } from "./audit.ts";
import { postureSecrets } from "./plan.ts";
import { age, secretStatus } from "./schedule.ts";

/** `rampart rotate --status`: every rotated secret's stages with their age, work in progress, due dates. */
export async function printStatus(posture: Posture, opts: { json?: boolean }): Promise<number> {
  const store = await openSecretStore(posture.secrets.store);
  const now = new Date();
  const statuses = await Promise.all(
    postureSecrets(posture).map((s) => secretStatus(store, s.name, s.spec, now)),
  );
  printResult({ store: store.url, secrets: statuses }, opts, () =>
    statuses.length === 0
      ? `no rotated secrets in ${posture.source.file} (rotation.secrets)`
      : table([
          ["SECRET", "KIND", "CURRENT", "PREVIOUS", "IN PROGRESS", "FAILED", "DUE"],
          ...statuses.map((s) => [
            s.secret,
            s.kind,
            s.stages.current ? `${age(s.stages.current.since, now)} old` : "none",
            s.stages.previous ? `${age(s.stages.previous.since, now)} old` : "-",
            s.inProgress
              ? `after ${s.inProgress.step} (${age(s.inProgress.updatedAt, now)} ago, token ${s.inProgress.token})`
              : "-",
            s.stages.failed ? `${age(s.stages.failed.since, now)} ago` : "-",
            s.due ? "now" : (s.dueAt ?? "now"),
          ]),
        ]),
  );
  return 0;
}

/** `rampart rotate --history [secret]`: the audit trail (one evidence event per step, never a value). */
export async function printHistory(
  posture: Posture,
  secret: string | undefined,
  opts: { json?: boolean },
): Promise<number> {
  const log = await EvidenceLog.open(posture.stores.evidence);
  const events = (
    await log.list<AuditEvent & { kind: string; time: string; actor: string }>("rotation")
  ).filter((e) => secret === undefined || e.secretName === secret);
  printResult({ events }, opts, () =>
    events.length === 0
      ? "no rotation events yet"
      : table([
          ["TIME", "SECRET", "STEP", "OUTCOME", "TOKEN", "ACTOR", "DETAIL"],
          ...events.map((e) => [
            e.time,
            e.secretName,
            e.step,
            e.outcome,
            e.rotationToken,
            e.actor,
            e.detail ?? "",
          ]),
        ]),
  );
  return 0;
}
