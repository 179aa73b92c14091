import type * as pulumi from "@pulumi/pulumi";
import type { Posture } from "../../../posture/index.ts";
import {
  allow,
  allowPutOnly,
  allowReadDecrypt,
  allowSecretsRead,
  denyBucketDeletion,
  denyDeleteExcept,
  type Statement,
} from "../../lib/iam.ts";

/** The key prefix of a store URL inside its bucket: s3://bucket/postgres → "postgres/". */
export function storePrefix(url: string): string {
  const path = url.replace(/^[a-z0-9]+:\/\/[^/]+\/?/, "");
  return path ? `${path.replace(/\/+$/, "")}/` : "";
}

type Arn = pulumi.Input<string>;
export type JobResources = {
  region: string;
  backupsArn: Arn;
  evidenceArn: Arn;
  keyArn: Arn;
  /** Secrets each job may read, by role. */
  backupSecrets: Arn[];
  drillSecrets: Arn[];
  /** rds-db:connect resource for the backup login, when the database uses IAM auth. */
  dbConnectArn?: Arn;
};

const prefixSids = (sid: string, statements: Statement[]) =>
  statements.map((s) => ({ ...s, Sid: `${sid}${s.Sid}` }));

/**
 * Reading the job's secrets, and nothing when it has none: a statement without resources is invalid IAM,
 * and its kms:Decrypt would be broader than the job needs (the Hetzner jobs keep theirs in a file store).
 */
const secretReads = (secretArns: Arn[], keyArn: Arn): Statement[] =>
  secretArns.length ? allowSecretsRead(secretArns, keyArn) : [];

/** Backup job: write backups and evidence, nothing else (no read, no delete, no `*`). */
export function backupStatements(p: Posture, r: JobResources): Statement[] {
  const put = (bucketArn: Arn, url: string, sid: string) =>
    prefixSids(
      sid,
      allowPutOnly({ bucketArn, keyArn: r.keyArn, region: r.region, prefix: storePrefix(url) }),
    );
  return [
    ...put(r.backupsArn, p.stores.backups, "Backups"),
    ...put(r.evidenceArn, p.stores.evidence, "Evidence"),
    ...secretReads(r.backupSecrets, r.keyArn),
    ...(r.dbConnectArn ? [allow("ConnectAsBackupUser", ["rds-db:connect"], [r.dbConnectArn])] : []),
  ];
}

/** Drill job: read and decrypt backups, write evidence, read the age identity (when it is in AWS). */
export function drillStatements(p: Posture, r: JobResources): Statement[] {
  const at = { keyArn: r.keyArn, region: r.region };
  return [
    ...prefixSids(
      "Backups",
      allowReadDecrypt({ bucketArn: r.backupsArn, ...at, prefix: storePrefix(p.stores.backups) }),
    ),
    ...prefixSids(
      "Evidence",
      allowPutOnly({ bucketArn: r.evidenceArn, ...at, prefix: storePrefix(p.stores.evidence) }),
    ),
    ...secretReads(r.drillSecrets, r.keyArn),
  ];
}

/** Bucket policy extras for locked buckets: only break-glass deletes objects; nobody deletes the bucket. */
export const lockedBucketPolicy = (breakGlassRoleArn: Arn) => (bucketArn: pulumi.Output<string>) => [
  denyDeleteExcept(bucketArn, breakGlassRoleArn),
  denyBucketDeletion(bucketArn),
];
