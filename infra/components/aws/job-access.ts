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

/** Backup job: write backups and evidence, nothing else (no read, no delete, no `*`). */
export function backupStatements(p: Posture, r: JobResources): Statement[] {
  const put = (bucketArn: Arn, url: string, sid: string) =>
    allowPutOnly({ bucketArn, keyArn: r.keyArn, region: r.region, prefix: storePrefix(url) }).map((s) => ({
      ...s,
      Sid: `${sid}${s.Sid}`,
    }));
  return [
    ...put(r.backupsArn, p.stores.backups, "Backups"),
    ...put(r.evidenceArn, p.stores.evidence, "Evidence"),
    ...(r.backupSecrets.length ? allowSecretsRead(r.backupSecrets, r.keyArn) : []),
    ...(r.dbConnectArn ? [allow("ConnectAsBackupUser", ["rds-db:connect"], [r.dbConnectArn])] : []),
  ];
}

/** Drill job: read and decrypt backups, write evidence, read the age identity. */
export function drillStatements(p: Posture, r: JobResources): Statement[] {
  return [
    ...allowReadDecrypt({
      bucketArn: r.backupsArn,
      keyArn: r.keyArn,
      region: r.region,
      prefix: storePrefix(p.stores.backups),
    }).map((s) => ({ ...s, Sid: `Backups${s.Sid}` })),
    ...allowPutOnly({
      bucketArn: r.evidenceArn,
      keyArn: r.keyArn,
      region: r.region,
      prefix: storePrefix(p.stores.evidence),
    }).map((s) => ({ ...s, Sid: `Evidence${s.Sid}` })),
    ...allowSecretsRead(r.drillSecrets, r.keyArn),
  ];
}

/** Bucket policy extras for locked buckets: only break-glass deletes objects; nobody deletes the bucket. */
export const lockedBucketPolicy = (breakGlassRoleArn: Arn) => (bucketArn: pulumi.Output<string>) => [
  denyDeleteExcept(bucketArn, breakGlassRoleArn),
  denyBucketDeletion(bucketArn),
];
