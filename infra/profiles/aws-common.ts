// The AWS pieces both the AWS profile and the self-hosted (Hetzner) profile compose from the posture:
// the posture's buckets with their break-glass role, the audit trail over them, and the uptime checks.
import * as pulumi from "@pulumi/pulumi";
import type { Posture } from "../../posture/index.ts";
import { AuditTrail } from "../components/aws/audit-trail.ts";
import { BreakGlassRole } from "../components/aws/break-glass.ts";
import { lockedBucketPolicy } from "../components/aws/job-access.ts";
import { UptimeChecks } from "../components/aws/uptime-checks.ts";
import { standardLabels } from "../lib/labels.ts";
import { resourceName } from "../lib/naming.ts";
import { SecureBucket } from "../lib/s3-bucket.ts";

export type PostureBuckets = {
  backups: SecureBucket;
  evidence: SecureBucket;
  uploads: SecureBucket | undefined;
  breakGlass: BreakGlassRole;
};

/**
 * The posture's buckets in `region`, encrypted with `kmsKeyArn`. Backups and evidence: only the
 * break-glass role deletes objects, nobody deletes the bucket (the policies name the role by ARN
 * before it exists; the role's own policy names the buckets).
 */
export function postureBuckets(
  posture: Posture,
  o: { region: string; kmsKeyArn: pulumi.Input<string>; accountId: pulumi.Input<string> },
): PostureBuckets {
  const breakGlassName = resourceName(posture, "break-glass");
  const locked = lockedBucketPolicy(pulumi.interpolate`arn:aws:iam::${o.accountId}:role/${breakGlassName}`);
  const bucket = (role: "backups" | "evidence" | "uploads") => {
    const settings = posture.buckets[role];
    if (!settings?.name) return undefined;
    return new SecureBucket(role, {
      bucketName: settings.name,
      region: o.region,
      settings,
      kmsKeyArn: o.kmsKeyArn,
      ...(role === "uploads" ? {} : { policy: locked }),
      tags: standardLabels(posture, role),
    });
  };
  const backups = bucket("backups") as SecureBucket;
  const evidence = bucket("evidence") as SecureBucket;
  const uploads = bucket("uploads");
  const breakGlass = new BreakGlassRole(breakGlassName, {
    accountId: o.accountId,
    bucketArns: [backups.arn, evidence.arn],
    tags: standardLabels(posture),
  });
  return { backups, evidence, uploads, breakGlass };
}

/** Every AWS API call (S3 data events on the posture's buckets included) lands in a locked bucket. */
export function postureAuditTrail(
  posture: Posture,
  buckets: PostureBuckets,
  o: { region: string; kmsKeyArn: pulumi.Input<string>; accountId: pulumi.Input<string> },
): AuditTrail {
  const { backups, evidence, uploads } = buckets;
  return new AuditTrail("audit", {
    region: o.region,
    bucketName: `${posture.buckets.evidence.name}-trail`.slice(0, 63),
    accountId: o.accountId,
    kmsKeyArn: o.kmsKeyArn,
    retentionDays: posture.monitoring.auditLogDays,
    dataEventBucketArns: [backups.arn, evidence.arn, ...(uploads ? [uploads.arn] : [])],
    tags: standardLabels(posture),
  });
}

/** Outside checks of the edge domain alerting `topicArn`; their alarms live in us-east-1 (uptime-checks.ts). */
export function postureUptime(
  posture: Posture,
  o: { region: string; topicArn: pulumi.Input<string>; accountId: pulumi.Input<string> },
): UptimeChecks | undefined {
  if (!posture.edge) return undefined;
  return new UptimeChecks("uptime", {
    domain: posture.edge.domain,
    paths: posture.monitoring.uptime.paths,
    periodSeconds: posture.monitoring.uptime.periodSeconds,
    region: o.region,
    topicArn: o.topicArn,
    accountId: o.accountId,
    alarmPrefix: `rampart-${posture.source.stack}`,
    tags: standardLabels(posture),
  });
}
