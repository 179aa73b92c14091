// GCS buckets: versioning, lifecycle tiers and expiry, bucket lock, public access, TLS and retention.
import * as gcp from "@pulumi/gcp";
import { longestRetentionDays, type Posture } from "../../../posture/index.ts";
import { transitions } from "../../lib/lifecycle.ts";
import { bucketRole, bucketSpec } from "../buckets.ts";
import { checker } from "../finding.ts";
import { at, num, records, seconds, str } from "../props.ts";
import { tokenOf } from "../tokens.ts";
import type { Finding, ResourceRule, Subject } from "../types.ts";

export const GCS_BUCKET = tokenOf(gcp.storage.Bucket);
const DAY = 86_400;

type GcsRule = { action: string; storageClass?: string; age?: number; noncurrentDays?: number };
function gcsRules(b: Subject): GcsRule[] {
  return records(b.props.lifecycleRules).map((r) => {
    const state = str(at(r, "condition.withState"));
    const age = num(at(r, "condition.age"));
    const noncurrent =
      num(at(r, "condition.daysSinceNoncurrentTime")) ?? (state === "ARCHIVED" ? age : undefined);
    return {
      action: str(at(r, "action.type")) ?? "",
      ...(str(at(r, "action.storageClass")) ? { storageClass: str(at(r, "action.storageClass")) } : {}),
      ...(noncurrent === undefined && age !== undefined ? { age } : {}),
      ...(noncurrent !== undefined ? { noncurrentDays: noncurrent } : {}),
    };
  });
}

const resource = (
  claim: string,
  suffix: string,
  description: string,
  check: (b: Subject, p: Posture, expect: ReturnType<typeof checker>) => Finding[],
): ResourceRule => {
  const rule: ResourceRule = {
    kind: "resource",
    name: `${claim}.gcs-bucket${suffix}`,
    claim,
    description,
    types: [GCS_BUCKET],
    check: (b, p) => check(b, p, checker(rule, b)),
  };
  return rule;
};

export const gcsVersioned = resource(
  "storage.versioned",
  "",
  "GCS buckets keep object versions",
  (b, p, expect) => {
    if (bucketSpec(bucketRole(b, p), p)?.versioning === false) return [];
    const v = at(b.props, "versioning.enabled");
    const retention = seconds(at(b.props, "retentionPolicy.retentionPeriod"));
    // GCS refuses versioning on a bucket with a retention policy; the policy is the stronger guarantee
    // (no overwrite, no delete for the whole period), so it proves the claim instead.
    if (v !== true && retention !== undefined && retention > 0)
      return [
        expect("retentionPolicy.retentionPeriod", retention, true, {
          proves: `no object can be overwritten or deleted for ${retention / DAY} days (retention policy instead of versioning)`,
          problem: "",
          fix: "",
        }),
      ];
    return [
      expect("versioning.enabled", v, v === true, {
        proves: "object versioning is on",
        problem: "versioning is off: an overwrite or delete destroys the only copy",
        fix: "set versioning: { enabled: true } on the bucket",
      }),
    ];
  },
);

export const gcsLifecycle = resource(
  "storage.lifecycle",
  "",
  "GCS lifecycle rules move objects through the posture's tiers and expire them as promised",
  (b, p, expect) => {
    const spec = bucketSpec(bucketRole(b, p), p);
    if (!spec) return [];
    const rules = gcsRules(b);
    const out = transitions(spec.lifecycle).map((t) => {
      const hit = rules.find(
        (r) => r.action === "SetStorageClass" && r.storageClass === t.gcs && r.age === t.afterDays,
      );
      return expect(`lifecycleRules[SetStorageClass ${t.gcs}].condition.age`, hit?.age, hit !== undefined, {
        proves: `objects move to ${t.gcs} after ${t.afterDays} days`,
        problem: `no lifecycle rule moves objects to ${t.gcs} after ${t.afterDays} days`,
        fix: `add lifecycleRules: { action: { type: "SetStorageClass", storageClass: "${t.gcs}" }, condition: { age: ${t.afterDays} } }`,
      });
    });
    const expire = spec.lifecycle.expireDays;
    if (expire !== undefined) {
      const hit = rules.find((r) => r.action === "Delete" && r.age === expire);
      out.push(
        expect("lifecycleRules[Delete].condition.age", hit?.age, hit !== undefined, {
          proves: `objects expire after ${expire} days`,
          problem: `no lifecycle rule deletes objects after ${expire} days`,
          fix: `add lifecycleRules: { action: { type: "Delete" }, condition: { age: ${expire} } }`,
        }),
      );
    }
    // Without versioning (locked buckets) there are no noncurrent versions to expire.
    if (at(b.props, "versioning.enabled") !== true) return out;
    const nc = spec.lifecycle.noncurrentExpireDays;
    const hit = rules.find((r) => r.action === "Delete" && r.noncurrentDays === nc);
    out.push(
      expect(
        "lifecycleRules[Delete].condition.daysSinceNoncurrentTime",
        hit?.noncurrentDays,
        hit !== undefined,
        {
          proves: `noncurrent versions are deleted ${nc} days after they were replaced`,
          problem: `no lifecycle rule deletes noncurrent versions after ${nc} days`,
          fix: `add lifecycleRules: { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: ${nc} } }`,
        },
      ),
    );
    return out;
  },
);

export const gcsRetention = resource(
  "backup.retention",
  "",
  "no GCS lifecycle rule deletes current backups before the longest retention",
  (b, p, expect) => {
    if (bucketRole(b, p) !== "backups") return [];
    const keep = longestRetentionDays(p.backups.retention);
    const deletes = gcsRules(b).filter((r) => r.action === "Delete" && r.age !== undefined);
    const shortest = Math.min(...deletes.map((r) => r.age ?? Number.POSITIVE_INFINITY));
    return [
      expect("lifecycleRules[Delete].condition.age", deletes.length ? shortest : null, shortest >= keep, {
        proves: deletes.length
          ? `backups are deleted no earlier than ${shortest} days (retention needs ${keep})`
          : "no lifecycle rule deletes current backups",
        problem: `a lifecycle rule deletes backups after ${shortest} days, before the promised retention of ${keep} days`,
        fix: `raise the Delete rule's condition.age to at least ${keep} (buckets.backups.lifecycle.expireDays)`,
      }),
    ];
  },
);

export const gcsLock = resource(
  "storage.object-lock",
  "",
  "GCS retention policy (bucket lock) covers the posture's lock days",
  (b, p, expect) => {
    const lock = bucketSpec(bucketRole(b, p), p)?.objectLock;
    if (!lock) return [];
    const period = seconds(at(b.props, "retentionPolicy.retentionPeriod"));
    const out = [
      expect("retentionPolicy.retentionPeriod", period, (period ?? 0) >= lock.days * DAY, {
        proves: `objects cannot be deleted or replaced for ${lock.days} days`,
        problem: `retention period ${period ?? "unset"} s is shorter than the promised ${lock.days} days`,
        fix: `set retentionPolicy: { retentionPeriod: "${lock.days * DAY}" }`,
      }),
    ];
    if (lock.mode === "compliance") {
      const locked = at(b.props, "retentionPolicy.isLocked");
      out.push(
        expect("retentionPolicy.isLocked", locked, locked === true, {
          proves: "the retention policy is locked (compliance: nobody can shorten it)",
          problem: "compliance lock promised but the retention policy is not locked",
          fix: "set retentionPolicy.isLocked: true",
        }),
      );
    }
    return out;
  },
);

export const gcsBackupLockRetention = resource(
  "backup.retention",
  ".lock",
  "the backups bucket lock lasts at least backups.retention.daily days",
  (b, p, expect) => {
    if (bucketRole(b, p) !== "backups" || !p.buckets.backups.objectLock) return [];
    const period = seconds(at(b.props, "retentionPolicy.retentionPeriod")) ?? 0;
    const need = p.backups.retention.daily * DAY;
    return [
      expect("retentionPolicy.retentionPeriod", period, period >= need, {
        proves: `daily backups are locked for at least ${p.backups.retention.daily} days`,
        problem: `the lock (${period} s) is shorter than the daily retention (${p.backups.retention.daily} days)`,
        fix: `set retentionPolicy.retentionPeriod to at least "${need}"`,
      }),
    ];
  },
);

export const gcsPublic = resource(
  "storage.public-access-blocked",
  "",
  "GCS buckets enforce public access prevention and uniform bucket-level access",
  (b, _p, expect) => {
    const pap = at(b.props, "publicAccessPrevention");
    const ubla = at(b.props, "uniformBucketLevelAccess");
    return [
      expect("publicAccessPrevention", pap, pap === "enforced", {
        proves: "public access prevention is enforced",
        problem: `publicAccessPrevention is ${JSON.stringify(pap ?? "inherited")}: the bucket could be made public`,
        fix: 'set publicAccessPrevention: "enforced"',
      }),
      expect("uniformBucketLevelAccess", ubla, ubla === true, {
        proves: "uniform bucket-level access (no per-object ACLs)",
        problem: "per-object ACLs are possible: an object could be shared publicly",
        fix: "set uniformBucketLevelAccess: true",
      }),
    ];
  },
);

export const gcsTls = resource(
  "storage.tls-only",
  "",
  "GCS serves its API over HTTPS only",
  (b, _p, expect) => [
    expect("(service)", "storage.googleapis.com", true, {
      proves: "Cloud Storage accepts only HTTPS (TLS) requests",
      problem: "",
      fix: "",
    }),
    ...(b.props.website === undefined
      ? []
      : [
          expect("website", b.props.website, false, {
            proves: "",
            problem: "website hosting serves objects over plain HTTP",
            fix: "remove the website block",
          }),
        ]),
  ],
);

export const GCS_RULES = [
  gcsVersioned,
  gcsLifecycle,
  gcsRetention,
  gcsLock,
  gcsBackupLockRetention,
  gcsPublic,
  gcsTls,
];
