// encryption.at-rest (customer-managed keys where the posture promises them) and encryption.key-rotation.
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import { checker, ofType } from "../finding.ts";
import { at, num, records, seconds, str } from "../props.ts";
import { tokenOf } from "../tokens.ts";
import type { Finding, ResourceRule, StackRule, Subject } from "../types.ts";

const T = {
  gcsBucket: tokenOf(gcp.storage.Bucket),
  sql: tokenOf(gcp.sql.DatabaseInstance),
  gcpSecret: tokenOf(gcp.secretmanager.Secret),
  gcpKey: tokenOf(gcp.kms.CryptoKey),
  rds: tokenOf(aws.rds.Instance),
  awsSecret: tokenOf(aws.secretsmanager.Secret),
  awsKey: tokenOf(aws.kms.Key),
} as const;

/** Where each type names its customer-managed key. */
function keyOf(r: Subject): { property: string; key: string | undefined } {
  switch (r.type) {
    case T.gcsBucket:
      return {
        property: "encryption.defaultKmsKeyName",
        key: str(at(r.props, "encryption.defaultKmsKeyName")),
      };
    case T.sql:
      return { property: "encryptionKeyName", key: str(r.props.encryptionKeyName) };
    case T.gcpSecret: {
      const keys = [
        at(r.props, "replication.auto.customerManagedEncryption.kmsKeyName"),
        ...records(at(r.props, "replication.userManaged.replicas")).map((x) =>
          at(x, "customerManagedEncryption.kmsKeyName"),
        ),
      ].filter((k) => k !== undefined);
      return {
        property: "replication.*.customerManagedEncryption.kmsKeyName",
        key: keys.length && keys.every((k) => str(k)) ? str(keys[0]) : undefined,
      };
    }
    default:
      return { property: "kmsKeyId", key: str(r.props.kmsKeyId) };
  }
}

export const encryptedAtRest: ResourceRule = {
  kind: "resource",
  name: "encryption.at-rest.cmek",
  claim: "encryption.at-rest",
  description: "databases, buckets and secrets are encrypted with the posture's customer-managed keys",
  types: [T.gcsBucket, T.sql, T.gcpSecret, T.rds, T.awsSecret],
  check: (r, p) => {
    const expect = checker(encryptedAtRest, r);
    const out: Finding[] = [];
    if (r.type === T.rds)
      out.push(
        expect("storageEncrypted", r.props.storageEncrypted, r.props.storageEncrypted === true, {
          proves: "storage is encrypted",
          problem: "storage is not encrypted",
          fix: "set storageEncrypted: true (requires replacing the instance)",
        }),
      );
    if (!p.encryption.customerManagedKeys)
      return [
        ...out,
        expect("(provider default)", "AES-256", true, {
          proves: "encrypted at rest by the provider (AES-256)",
          problem: "",
          fix: "",
        }),
      ];
    const { property, key } = keyOf(r);
    out.push(
      expect(property, key, key !== undefined && key !== "", {
        proves: `encrypted with customer-managed key ${key}`,
        problem: "no customer-managed key: the posture promises CMEK/KMS encryption",
        fix: `set ${property} to the stack's KMS key`,
      }),
    );
    return out;
  },
};

const DAY = 86_400;
export const keyRotation: ResourceRule = {
  kind: "resource",
  name: "encryption.key-rotation.period",
  claim: "encryption.key-rotation",
  description: "KMS keys rotate at least every encryption.kmsRotationDays",
  types: [T.gcpKey, T.awsKey],
  check: (r, p) => {
    const expect = checker(keyRotation, r);
    const days = p.encryption.kmsRotationDays;
    if (r.type === T.gcpKey) {
      const period = seconds(r.props.rotationPeriod);
      return [
        expect("rotationPeriod", r.props.rotationPeriod, period !== undefined && period <= days * DAY, {
          proves: `rotates every ${(period ?? 0) / DAY} days`,
          problem: `rotation period ${JSON.stringify(r.props.rotationPeriod ?? "none")} exceeds ${days} days`,
          fix: `set rotationPeriod: "${days * DAY}s"`,
        }),
      ];
    }
    const enabled = r.props.enableKeyRotation === true;
    // AWS rotates yearly by default and accepts 90..2560 days.
    const period = num(r.props.rotationPeriodInDays) ?? 365;
    return [
      expect("enableKeyRotation", r.props.enableKeyRotation, enabled, {
        proves: "automatic rotation is on",
        problem: "automatic key rotation is off",
        fix: "set enableKeyRotation: true",
      }),
      expect("rotationPeriodInDays", period, period <= Math.max(days, 90), {
        proves: `rotates every ${period} days`,
        problem: `rotates every ${period} days, more than the promised ${days}`,
        fix: `set rotationPeriodInDays: ${Math.max(days, 90)}`,
      }),
    ];
  },
};

export const keysExist: StackRule = {
  kind: "stack",
  name: "encryption.key-rotation.keys",
  claim: "encryption.key-rotation",
  description: "a customer-managed key exists when the posture promises them",
  check: (rs) => {
    const keys = ofType(rs, T.gcpKey, T.awsKey).length;
    return [
      checker(keysExist, null)("(KMS keys)", keys, keys > 0, {
        proves: `${keys} customer-managed keys`,
        problem: "encryption.customerManagedKeys is true but the stack creates no KMS key",
        fix: "create a KMS key (gcp.kms.CryptoKey / aws.kms.Key) or set encryption.customerManagedKeys: false",
      }),
    ];
  },
};

export const ENCRYPTION_RULES = [encryptedAtRest, keyRotation, keysExist];
