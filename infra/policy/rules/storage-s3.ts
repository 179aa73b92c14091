// S3 (provider v7): every bucket setting lives in a side resource, so these are stack rules that find
// each bucket's side resources and check them. A missing side resource is a violation on the bucket.
import * as aws from "@pulumi/aws";
import { longestRetentionDays, type Posture } from "../../../posture/index.ts";
import { transitions } from "../../lib/lifecycle.ts";
import { bucketRole, bucketSpec, sideResources } from "../buckets.ts";
import { checker, ofType } from "../finding.ts";
import { at, json, list, num, records, str, truthy } from "../props.ts";
import { tokenOf } from "../tokens.ts";
import type { Finding, StackRule, Subject } from "../types.ts";

export const S3 = {
  bucket: tokenOf(aws.s3.Bucket),
  versioning: tokenOf(aws.s3.BucketVersioning),
  encryption: tokenOf(aws.s3.BucketServerSideEncryptionConfiguration),
  publicAccess: tokenOf(aws.s3.BucketPublicAccessBlock),
  lock: tokenOf(aws.s3.BucketObjectLockConfiguration),
  lifecycle: tokenOf(aws.s3.BucketLifecycleConfiguration),
  policy: tokenOf(aws.s3.BucketPolicy),
} as const;

type Check = (b: Subject, sides: Subject[], p: Posture, expect: ReturnType<typeof checker>) => Finding[];

/** A stack rule over every S3 bucket and its side resources of `side` type. */
function perBucket(
  claim: string,
  suffix: string,
  side: string,
  description: string,
  check: Check,
): StackRule {
  const rule: StackRule = {
    kind: "stack",
    name: `${claim}.s3-bucket${suffix}`,
    claim,
    description,
    check: (rs, p) =>
      ofType(rs, S3.bucket).flatMap((b) => check(b, sideResources(b, rs, side), p, checker(rule, b))),
  };
  return rule;
}

const missing = (what: string, fix: string) => ({ proves: "", problem: `no ${what} for this bucket`, fix });

export const s3Versioned = perBucket(
  "storage.versioned",
  "",
  S3.versioning,
  "S3 buckets keep object versions",
  (b, sides, p, expect) => {
    if (bucketSpec(bucketRole(b, p), p)?.versioning === false) return [];
    const status = sides.map((s) => str(at(s.props, "versioningConfiguration.status")));
    return [
      expect(
        "BucketVersioning.versioningConfiguration.status",
        status[0],
        status.length > 0 && status.every((s) => s === "Enabled"),
        {
          proves: "object versioning is Enabled",
          problem: status.length
            ? `versioning is ${status.join(", ")}, not Enabled`
            : "no BucketVersioning for this bucket",
          fix: 'add aws.s3.BucketVersioning with versioningConfiguration: { status: "Enabled" }',
        },
      ),
    ];
  },
);

export const s3PublicBlocked = perBucket(
  "storage.public-access-blocked",
  "",
  S3.publicAccess,
  "S3 buckets block every form of public access",
  (_b, sides, _p, expect) => {
    const flags = [
      "blockPublicAcls",
      "blockPublicPolicy",
      "ignorePublicAcls",
      "restrictPublicBuckets",
    ] as const;
    if (!sides.length)
      return [
        expect(
          "BucketPublicAccessBlock",
          null,
          false,
          missing(
            "BucketPublicAccessBlock",
            `add aws.s3.BucketPublicAccessBlock with ${flags.join(", ")}: true`,
          ),
        ),
      ];
    return flags.map((f) => {
      const v = sides.map((s) => s.props[f]);
      return expect(
        `BucketPublicAccessBlock.${f}`,
        v[0],
        v.every((x) => x === true),
        {
          proves: `${f} is on`,
          problem: `${f} is not true: the bucket could be made public`,
          fix: `set ${f}: true on the BucketPublicAccessBlock`,
        },
      );
    });
  },
);

/** Deny statements refusing requests without TLS (aws:SecureTransport = false). */
function deniesInsecure(policy: unknown): boolean {
  return records(at(json(policy), "Statement")).some((s) => {
    const cond = at(s, "Condition.Bool.aws:SecureTransport");
    return s.Effect === "Deny" && (cond === false || cond === "false");
  });
}

export const s3TlsOnly = perBucket(
  "storage.tls-only",
  "",
  S3.policy,
  "S3 bucket policies refuse plain HTTP",
  (_b, sides, _p, expect) => {
    const ok = sides.some((s) => deniesInsecure(s.props.policy));
    return [
      expect("BucketPolicy.policy[Deny aws:SecureTransport=false]", ok, ok, {
        proves: "the bucket policy denies every request without TLS",
        problem: sides.length
          ? "the bucket policy does not deny aws:SecureTransport=false"
          : "no BucketPolicy for this bucket",
        fix: "add a Deny statement for s3:* with Condition { Bool: { aws:SecureTransport: false } } (infra/lib/iam.ts denyInsecureTransport)",
      }),
    ];
  },
);

export const s3Encrypted = perBucket(
  "encryption.at-rest",
  "",
  S3.encryption,
  "S3 buckets encrypt with the posture's key",
  (_b, sides, p, expect) => {
    const byDefault = sides
      .flatMap((s) => records(s.props.rules))
      .map((r) => ({
        algorithm: str(at(r, "applyServerSideEncryptionByDefault.sseAlgorithm")),
        key: str(at(r, "applyServerSideEncryptionByDefault.kmsMasterKeyId")),
      }));
    const cmk = p.encryption.customerManagedKeys;
    const ok =
      byDefault.length > 0 &&
      byDefault.every((r) => (cmk ? r.algorithm?.startsWith("aws:kms") && r.key : r.algorithm));
    return [
      expect(
        "BucketServerSideEncryptionConfiguration.rules.applyServerSideEncryptionByDefault",
        byDefault[0] ?? null,
        Boolean(ok),
        {
          proves: cmk
            ? "objects are encrypted with a customer-managed KMS key"
            : "objects are encrypted at rest",
          problem: sides.length
            ? "default encryption does not use a customer-managed KMS key"
            : "no BucketServerSideEncryptionConfiguration for this bucket",
          fix: 'set rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn } }]',
        },
      ),
    ];
  },
);

export const s3Lock = perBucket(
  "storage.object-lock",
  "",
  S3.lock,
  "S3 object lock covers the posture's lock",
  (b, sides, p, expect) => {
    const lock = bucketSpec(bucketRole(b, p), p)?.objectLock;
    if (!lock) return [];
    const enabled = b.props.objectLockEnabled;
    const retention = sides.map((s) => ({
      mode: str(at(s.props, "rule.defaultRetention.mode")),
      days:
        num(at(s.props, "rule.defaultRetention.days")) ??
        365 * (num(at(s.props, "rule.defaultRetention.years")) ?? 0),
    }));
    const r = retention[0];
    return [
      expect("objectLockEnabled", enabled, truthy(enabled), {
        proves: "object lock is enabled on the bucket",
        problem: "object lock is not enabled (it can only be turned on at creation)",
        fix: "set objectLockEnabled: true on the aws.s3.Bucket",
      }),
      expect(
        "BucketObjectLockConfiguration.rule.defaultRetention",
        r ?? null,
        r !== undefined && r.mode === lock.mode.toUpperCase() && (r.days ?? 0) >= lock.days,
        {
          proves: `new objects are locked in ${lock.mode.toUpperCase()} mode for ${r?.days} days`,
          problem: r
            ? `default retention is ${r.mode} for ${r.days} days; promised ${lock.mode.toUpperCase()} for ${lock.days}`
            : "no BucketObjectLockConfiguration for this bucket",
          fix: `set rule: { defaultRetention: { mode: "${lock.mode.toUpperCase()}", days: ${lock.days} } }`,
        },
      ),
    ];
  },
);

type S3Rule = {
  transitions: { days?: number; storageClass?: string }[];
  expireDays?: number;
  noncurrentDays?: number;
};
const enabledRules = (sides: Subject[]): S3Rule[] =>
  sides
    .flatMap((s) => records(s.props.rules))
    .filter((r) => r.status === "Enabled")
    .map((r) => {
      const expireDays = num(at(r, "expiration.days"));
      const noncurrentDays = num(at(r, "noncurrentVersionExpiration.noncurrentDays"));
      return {
        transitions: records(r.transitions).map((t) => ({
          days: num(t.days),
          storageClass: str(t.storageClass),
        })),
        ...(expireDays === undefined ? {} : { expireDays }),
        ...(noncurrentDays === undefined ? {} : { noncurrentDays }),
      };
    });

export const s3Lifecycle = perBucket(
  "storage.lifecycle",
  "",
  S3.lifecycle,
  "S3 lifecycle moves objects through the tiers and expires them as promised",
  (b, sides, p, expect) => {
    const spec = bucketSpec(bucketRole(b, p), p);
    if (!spec) return [];
    const rules = enabledRules(sides);
    const out = transitions(spec.lifecycle).map((t) => {
      const hit = rules.some((r) =>
        r.transitions.some((x) => x.storageClass === t.s3 && x.days === t.afterDays),
      );
      return expect(
        `BucketLifecycleConfiguration.rules.transitions[${t.s3}].days`,
        hit ? t.afterDays : null,
        hit,
        {
          proves: `objects move to ${t.s3} after ${t.afterDays} days`,
          problem: `no enabled lifecycle rule moves objects to ${t.s3} after ${t.afterDays} days`,
          fix: `add transitions: [{ days: ${t.afterDays}, storageClass: "${t.s3}" }]`,
        },
      );
    });
    const expire = spec.lifecycle.expireDays;
    if (expire !== undefined) {
      const hit = rules.find((r) => r.expireDays === expire);
      out.push(
        expect("BucketLifecycleConfiguration.rules.expiration.days", hit?.expireDays, hit !== undefined, {
          proves: `objects expire after ${expire} days`,
          problem: `no enabled lifecycle rule expires objects after ${expire} days`,
          fix: `add expiration: { days: ${expire} }`,
        }),
      );
    }
    const nc = spec.lifecycle.noncurrentExpireDays;
    const hit = rules.find((r) => r.noncurrentDays === nc);
    out.push(
      expect(
        "BucketLifecycleConfiguration.rules.noncurrentVersionExpiration.noncurrentDays",
        hit?.noncurrentDays,
        hit !== undefined,
        {
          proves: `noncurrent versions are deleted ${nc} days after they were replaced`,
          problem: `no enabled lifecycle rule deletes noncurrent versions after ${nc} days`,
          fix: `add noncurrentVersionExpiration: { noncurrentDays: ${nc} }`,
        },
      ),
    );
    return out;
  },
);

export const s3Retention = perBucket(
  "backup.retention",
  "",
  S3.lifecycle,
  "S3 expiry and object lock cover the backup retention",
  (b, sides, p, expect) => {
    if (bucketRole(b, p) !== "backups") return [];
    const keep = longestRetentionDays(p.backups.retention);
    const expiries = enabledRules(sides).flatMap((r) => list(r.expireDays).map((d) => Number(d)));
    const shortest = Math.min(...expiries);
    return [
      expect(
        "BucketLifecycleConfiguration.rules.expiration.days",
        expiries.length ? shortest : null,
        shortest >= keep,
        {
          proves: expiries.length
            ? `backups expire no earlier than ${shortest} days (retention needs ${keep})`
            : "no lifecycle rule expires current backups",
          problem: `a lifecycle rule expires backups after ${shortest} days, before the promised retention of ${keep} days`,
          fix: `raise expiration.days to at least ${keep} (buckets.backups.lifecycle.expireDays)`,
        },
      ),
    ];
  },
);

export const S3_RULES = [
  s3Versioned,
  s3PublicBlocked,
  s3TlsOnly,
  s3Encrypted,
  s3Lock,
  s3Lifecycle,
  s3Retention,
];
