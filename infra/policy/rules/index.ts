import type { Rule } from "../types.ts";
import { DATABASE_RULES } from "./database.ts";
import { EDGE_RULES } from "./edge.ts";
import { ENCRYPTION_RULES } from "./encryption.ts";
import { LEAST_PRIVILEGE_RULES } from "./least-privilege.ts";
import { OBSERVABILITY_RULES } from "./observability.ts";
import { RESIDENCY_RULES } from "./residency.ts";
import { SCHEDULE_RULES } from "./schedules.ts";
import { GCS_RULES } from "./storage-gcs.ts";
import { S3_RULES } from "./storage-s3.ts";

/** Every rule, one or more per claim of kind resource/policy (test/infra/policy/coverage.test.ts). */
export const RULES: readonly Rule[] = [
  ...RESIDENCY_RULES,
  ...ENCRYPTION_RULES,
  ...DATABASE_RULES,
  ...GCS_RULES,
  ...S3_RULES,
  ...SCHEDULE_RULES,
  ...LEAST_PRIVILEGE_RULES,
  ...EDGE_RULES,
  ...OBSERVABILITY_RULES,
];
