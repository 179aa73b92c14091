import * as gcp from "@pulumi/gcp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { JOB_BUCKET_ROLES } from "../../../infra/components/gcp/jobs.ts";
import { isAllowedLocation, locationsIn } from "../../../infra/lib/regions.ts";
import type { Posture } from "../../../posture/index.ts";
import { inventoryJson } from "../../support/inventory.ts";
import { ofType, one, type Recorded, tokenOf } from "../../support/pulumi-mocks.ts";
import { FIXED_NOW, recordGcpStack } from "./program.ts";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(FIXED_NOW);
});
afterAll(() => vi.useRealTimers());

describe.each(["gcp-zurich", "gcp-mumbai"])("GCP stack %s keeps the posture's promises", (stack) => {
  let posture: Posture;
  let rs: Recorded[];
  beforeAll(async () => {
    ({ posture, recorded: rs } = await recordGcpStack(stack));
  });

  it("matches the committed inventory snapshot", async () => {
    await expect(inventoryJson(rs)).toMatchFileSnapshot(`../__snapshots__/${stack}.inventory.json`);
  });

  it("places every located resource in an allowed region", () => {
    const located = rs.filter((r) => locationsIn(r.inputs).length > 0);
    expect(located.length).toBeGreaterThan(15);
    for (const r of located)
      for (const loc of locationsIn(r.inputs))
        expect(isAllowedLocation(posture.regions.allowed, loc), `${r.name}: ${loc}`).toBe(true);
  });

  it("makes every bucket private, CMEK-encrypted, versioned or locked, with the posture's lifecycle", () => {
    const buckets = ofType(rs, tokenOf(gcp.storage.Bucket));
    expect(buckets.map((b) => b.inputs.name).sort()).toEqual(
      [posture.buckets.backups.name, posture.buckets.evidence.name, posture.buckets.uploads?.name].sort(),
    );
    for (const b of buckets) {
      const role = (["backups", "evidence", "uploads"] as const).find((k) => b.name.includes(k));
      const spec = role && posture.buckets[role];
      if (!spec) throw new Error(`unexpected bucket ${b.name}`);
      expect(b.inputs.publicAccessPrevention).toBe("enforced");
      expect(b.inputs.uniformBucketLevelAccess).toBe(true);
      expect(b.inputs.forceDestroy).toBe(false);
      expect(obj(b.inputs.encryption).defaultKmsKeyName).toBe("kms-storage-id");
      expect(obj(b.inputs.softDeletePolicy).retentionDurationSeconds).toBe(spec.softDeleteDays * 86_400);
      const retention = obj(b.inputs.retentionPolicy);
      if (spec.objectLock) {
        // GCS refuses versioning next to a retention policy; the lock forbids overwrite and delete outright.
        expect(retention).toEqual({
          retentionPeriod: String(spec.objectLock.days * 86_400),
          isLocked: spec.objectLock.mode === "compliance",
        });
      } else {
        expect(obj(b.inputs.versioning).enabled).toBe(true);
        expect(arr(b.inputs.lifecycleRules)).toContainEqual({
          action: { type: "Delete" },
          condition: { daysSinceNoncurrentTime: spec.lifecycle.noncurrentExpireDays, withState: "ARCHIVED" },
        });
      }
      const rules = arr(b.inputs.lifecycleRules).map(obj);
      const classes = rules
        .filter((r) => obj(r.action).type === "SetStorageClass")
        .map((r) => [obj(r.action).storageClass, obj(r.condition).age]);
      const tierClass = { infrequent: "NEARLINE", cold: "COLDLINE", archive: "ARCHIVE" };
      expect(classes).toEqual(spec.lifecycle.tiers.map((t) => [tierClass[t.tier], t.afterDays]));
      const expiry = rules.find((r) => obj(r.action).type === "Delete" && obj(r.condition).age !== undefined);
      expect(obj(expiry?.condition).age).toBe(spec.lifecycle.expireDays);
    }
  });

  it("keeps the database private, TLS-only, CMEK-encrypted, recoverable and protected", () => {
    const db = one(rs, tokenOf(gcp.sql.DatabaseInstance));
    const s = obj(db.inputs.settings);
    const ip = obj(s.ipConfiguration);
    const backup = obj(s.backupConfiguration);
    expect(db.inputs.databaseVersion).toBe(`POSTGRES_${posture.database.major}`);
    expect(ip.ipv4Enabled).toBe(false);
    expect(ip.privateNetwork).toBe("net-vpc-id");
    expect(ip.sslMode).toBe("ENCRYPTED_ONLY");
    expect(db.inputs.encryptionKeyName).toBe("kms-sql-id");
    expect(backup).toMatchObject({
      enabled: true,
      pointInTimeRecoveryEnabled: true,
      transactionLogRetentionDays: posture.database.pitrDays,
      location: posture.regions.primary,
      backupRetentionSettings: {
        retainedBackups: posture.database.backupRetentionDays,
        retentionUnit: "COUNT",
      },
    });
    expect(db.inputs.deletionProtection).toBe(true);
    expect(s.deletionProtectionEnabled).toBe(true);
    expect(arr(s.databaseFlags)).toContainEqual({ name: "cloudsql.enable_pgaudit", value: "on" });
    expect(arr(s.databaseFlags)).toContainEqual({ name: "log_connections", value: "on" });
    expect(s.maintenanceWindow).toMatchObject(posture.database.maintenance);
  });

  it("rotates every KMS key on the posture's period", () => {
    const keys = ofType(rs, tokenOf(gcp.kms.CryptoKey));
    expect(keys.length).toBe(3);
    for (const k of keys)
      expect(k.inputs.rotationPeriod).toBe(`${posture.encryption.kmsRotationDays * 86_400}s`);
  });

  it("pins secrets to the region with CMEK and rotates the rotated ones via Pub/Sub", () => {
    const secrets = ofType(rs, tokenOf(gcp.secretmanager.Secret));
    expect(secrets.map((s) => s.inputs.secretId)).toContain(posture.secrets.ageIdentity);
    for (const s of secrets) {
      const replicas = arr(obj(obj(s.inputs.replication).userManaged).replicas).map(obj);
      expect(replicas).toEqual([
        { location: posture.regions.primary, customerManagedEncryption: { kmsKeyName: "kms-secrets-id" } },
      ]);
      const rotated = posture.rotation.secrets[String(s.inputs.secretId)];
      if (rotated) {
        expect(obj(s.inputs.rotation).rotationPeriod).toBe(`${rotated.intervalDays * 86_400}s`);
        expect(arr(s.inputs.topics)).toEqual([{ name: "secrets-rotation-topic-id" }]);
      }
    }
  });

  it("gives job identities no way to delete backups, and the age identity to the drill only", () => {
    const grants = ofType(rs, tokenOf(gcp.storage.BucketIAMMember));
    expect(grants.length).toBe(4);
    const allRoles = Object.values(JOB_BUCKET_ROLES).flatMap((r) => Object.values(r));
    // None of these predefined roles holds storage.objects.delete (objectAdmin/admin would).
    for (const g of grants) expect(allRoles).toContain(g.inputs.role);
    expect(allRoles).not.toContain("roles/storage.objectAdmin");
    expect(allRoles).not.toContain("roles/storage.admin");
    expect(allRoles).not.toContain("roles/storage.objectUser");
    const backupToBackups = one(rs, tokenOf(gcp.storage.BucketIAMMember), "jobs-backup-backups");
    expect(backupToBackups.inputs.role).toBe("roles/storage.objectCreator");
    const secretGrants = ofType(rs, tokenOf(gcp.secretmanager.SecretIamMember));
    const ageId = `secrets-${posture.secrets.ageIdentity}-id`;
    const holders = secretGrants.filter((g) => g.inputs.secretId === ageId).map((g) => g.inputs.member);
    expect(holders).toEqual([expect.stringContaining("-drill@")]);
    // A rotated identity's public recipients: the backup job must read them to encrypt to the new key.
    const published = posture.secrets.recipientsSecret;
    if (published) {
      const readers = secretGrants
        .filter((g) => g.inputs.secretId === `secrets-${published}-id`)
        .map((g) => g.inputs.member);
      expect(readers).toEqual(expect.arrayContaining([expect.stringContaining("-backup@")]));
    }
  });

  it("schedules the backup and drill jobs on the posture's cron", () => {
    const schedules = ofType(rs, tokenOf(gcp.cloudscheduler.Job)).map((j) => j.inputs.schedule);
    expect(schedules.sort()).toEqual([posture.backups.schedule, posture.drills.schedule].sort());
  });

  it("runs the app only behind the load balancer with the posture's instances", () => {
    const svc = one(rs, tokenOf(gcp.cloudrunv2.Service));
    expect(svc.inputs.ingress).toBe("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER");
    expect(obj(obj(svc.inputs.template).scaling).minInstanceCount).toBe(posture.compute.minInstances);
  });

  it("monitors the posture's paths, alerts by email and keeps audit logs for the posture's days", () => {
    const checks = ofType(rs, tokenOf(gcp.monitoring.UptimeCheckConfig));
    expect(checks.map((c) => obj(c.inputs.httpCheck).path)).toEqual(posture.monitoring.uptime.paths);
    const emails = ofType(rs, tokenOf(gcp.monitoring.NotificationChannel)).map(
      (c) => obj(c.inputs.labels).email_address,
    );
    expect(emails).toEqual(posture.monitoring.alertEmails);
    expect(ofType(rs, tokenOf(gcp.monitoring.AlertPolicy)).length).toBe(
      posture.monitoring.uptime.paths.length + 4,
    );
    const audited = ofType(rs, tokenOf(gcp.projects.IAMAuditConfig)).map((a) => a.inputs.service);
    expect(audited.sort()).toEqual([
      "cloudkms.googleapis.com",
      "cloudsql.googleapis.com",
      "secretmanager.googleapis.com",
      "storage.googleapis.com",
    ]);
    expect(one(rs, tokenOf(gcp.logging.ProjectBucketConfig)).inputs.retentionDays).toBe(
      posture.monitoring.auditLogDays,
    );
  });
});
