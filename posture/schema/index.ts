import { z } from "zod";
import { backups } from "./backups.ts";
import { buckets } from "./buckets.ts";
import { secretRef } from "./common.ts";
import { compute, jobs } from "./compute.ts";
import { database } from "./database.ts";
import { drills } from "./drills.ts";
import { edge } from "./edge.ts";
import { encryption } from "./encryption.ts";
import { disclosure, incident } from "./incident.ts";
import { monitoring } from "./monitoring.ts";
import { regions } from "./regions.ts";
import { checkRelations } from "./relations.ts";
import { rotation } from "./rotation.ts";

export const PROFILES = ["gcp", "aws", "hetzner", "external"] as const;
export type Profile = (typeof PROFILES)[number];

/** The raw shape of `rampart:posture` (before cross-field checks and derived values). */
export const postureInput = z.strictObject({
  /** Company or product name, used on the security page. */
  name: z.string().min(1),
  /** gcp | aws | hetzner | external (no infra: jobs run against an existing Postgres and store). */
  profile: z.enum(PROFILES),
  regions: regions.optional(),
  database: database.prefault({}),
  buckets: buckets.prefault({}),
  encryption: encryption.prefault({}),
  backups,
  drills: drills.prefault({}),
  rotation: rotation.prefault({}),
  secrets: z
    .strictObject({
      /** Secret store URL: gcpsm://PROJECT, awssm://REGION, or file:///path/secrets.env. @default per profile */
      store: z
        .string()
        .regex(/^(gcpsm|awssm):\/\/[a-z0-9-]*$|^file:\/\/\/.+|^file:(?!\/)\S+$/, {
          message: "must be gcpsm://PROJECT, awssm://REGION, file:///abs/path.env or file:relative/path.env",
        })
        .optional(),
      /** Name of the age identity used by restore and drill (never by backup). */
      ageIdentity: secretRef.default("rampart-age-identity"),
    })
    .prefault({}),
  edge: edge.nullable().default(null),
  compute: compute.prefault({}),
  jobs: jobs.prefault({}),
  monitoring: monitoring.prefault({}),
  incident,
  disclosure,
});

export const postureSchema = postureInput.superRefine(checkRelations);
export type PostureInput = z.output<typeof postureInput>;
