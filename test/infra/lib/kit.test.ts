import { describe, expect, it } from "vitest";
import { gcsLifecycleRules, gcsRetentionPolicy } from "../../../infra/components/gcp/bucket.ts";
import { standardLabels } from "../../../infra/lib/labels.ts";
import { transitions } from "../../../infra/lib/lifecycle.ts";
import { resourceName, slug } from "../../../infra/lib/naming.ts";
import { isAllowedLocation, locationsIn, requireAllowedLocation } from "../../../infra/lib/regions.ts";
import { loadPosture } from "../../../posture/index.ts";

const zurich = loadPosture("gcp-zurich");

describe("lifecycle", () => {
  it("maps the posture's tiers to GCS and S3 classes in order", () => {
    expect(transitions(zurich.buckets.backups.lifecycle)).toEqual([
      { tier: "infrequent", afterDays: 30, gcs: "NEARLINE", s3: "STANDARD_IA" },
      { tier: "cold", afterDays: 90, gcs: "COLDLINE", s3: "GLACIER" },
      { tier: "archive", afterDays: 180, gcs: "ARCHIVE", s3: "DEEP_ARCHIVE" },
    ]);
  });
  it("builds GCS rules: tiers, delete at expireDays, noncurrent expiry only when versioned", () => {
    const l = zurich.buckets.backups.lifecycle;
    const rules = gcsLifecycleRules(l, true);
    expect(rules.at(3)).toEqual({ action: { type: "Delete" }, condition: { age: 400, withState: "ANY" } });
    expect(rules).toContainEqual({
      action: { type: "Delete" },
      condition: { daysSinceNoncurrentTime: 30, withState: "ARCHIVED" },
    });
    expect(gcsLifecycleRules(l, false).some((r) => "daysSinceNoncurrentTime" in r.condition)).toBe(false);
  });
  it("locks compliance retention and leaves governance unlocked", () => {
    expect(gcsRetentionPolicy({ mode: "compliance", days: 35 })).toEqual({
      retentionPeriod: "3024000",
      isLocked: true,
    });
    expect(gcsRetentionPolicy({ mode: "governance", days: 1 })).toEqual({
      retentionPeriod: "86400",
      isLocked: false,
    });
    expect(gcsRetentionPolicy(null)).toBeUndefined();
  });
});

describe("regions", () => {
  it("accepts regions and their zones, rejects neighbours and multi-regions", () => {
    expect(isAllowedLocation(["europe-west6"], "EUROPE-WEST6")).toBe(true);
    expect(isAllowedLocation(["europe-west6"], "europe-west6-a")).toBe(true);
    expect(isAllowedLocation(["eu-central-1"], "eu-central-1a")).toBe(true);
    expect(isAllowedLocation(["nbg1"], "nbg1-dc3")).toBe(true);
    expect(isAllowedLocation(["europe-west6"], "europe-west1")).toBe(false);
    expect(isAllowedLocation(["europe-west1"], "europe-west12")).toBe(false);
    expect(isAllowedLocation(["europe-west6"], "EU")).toBe(false);
  });
  it("finds nested placements but not probe origins", () => {
    const inputs = {
      location: "a",
      replication: { userManaged: { replicas: [{ location: "b" }] } },
      messageStoragePolicy: { allowedPersistenceRegions: ["c"] },
      selectedRegions: ["USA"],
    };
    expect(locationsIn(inputs).sort()).toEqual(["a", "b", "c"]);
  });
  it("fails with the stack file and the fix when a location is outside the posture", () => {
    expect(() => requireAllowedLocation(zurich, "us-central1", "regions.storage")).toThrow(
      /regions.storage would be placed in "us-central1", outside regions.allowed \[europe-west6\]/,
    );
  });
});

describe("naming and labels", () => {
  it("makes DNS-safe names that fit the limit and stay distinct", () => {
    expect(slug("Aurex ERP")).toBe("aurex-erp");
    expect(slug("Zürich Bank")).toBe("zurich-bank");
    expect(resourceName(zurich, "backup")).toBe("numezis-backup");
    const a = resourceName(zurich, "a-very-long-role-name-indeed-1", 30);
    const b = resourceName(zurich, "a-very-long-role-name-indeed-2", 30);
    expect(a.length).toBeLessThanOrEqual(30);
    expect(a).not.toBe(b);
  });
  it("labels every resource with app, stack, profile and managed-by", () => {
    expect(standardLabels(zurich, "Backups")).toEqual({
      app: "numezis",
      stack: "gcp-zurich",
      profile: "gcp",
      "managed-by": "rampart",
      role: "backups",
    });
  });
});
