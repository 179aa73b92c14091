import type { EvidenceLog } from "../evidence.ts";
import type { Step } from "../secrets/index.ts";

/**
 * One audit event per protocol step, stored as evidence kind "rotation" (which also stamps time and
 * actor). Never holds a value. Field names avoid the evidence redactor's secret-looking keys (`secret`, `token`)
 * and its own `kind` ("rotation"): `secretName`, `secretKind`, `rotationToken`.
 */
export type AuditEvent = {
  secretName: string;
  secretKind: string;
  step: Step;
  rotationToken: string;
  outcome: "ok" | "failed";
  detail?: string;
};

export type Audit = (event: AuditEvent) => Promise<void>;

export function evidenceAudit(log: EvidenceLog): Audit {
  return async (e) => {
    await log.record("rotation", `${e.secretName}-${e.step}`, { ...e });
  };
}
