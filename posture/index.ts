export {
  CLAIMS,
  type Claim,
  type ClaimDef,
  claimsFor,
  notApplicable,
  type Proof,
  type ProofKind,
} from "./claims.ts";
export { describeCron, isCron, maxIntervalMinutes } from "./cron.ts";
export { ConfigError, needs, UserError } from "./errors.ts";
export { listStacks, loadPosture, POSTURE_KEY, parsePosture, projectRoot, stackFile } from "./load.ts";
export type { ObjectLock, Posture } from "./resolve.ts";
export { recipientsSecretName } from "./resolve.ts";
export { describeRetention, longestRetentionDays } from "./retention.ts";
export type { Profile } from "./schema/index.ts";
export { PROFILES } from "./schema/index.ts";
