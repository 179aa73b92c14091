import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as gcp from "@pulumi/gcp";
import { beforeAll, describe, expect, test } from "vitest";
import { tokenOf } from "../../../../infra/policy/tokens.ts";
import type { Subject } from "../../../../infra/policy/types.ts";
import { CLAIMS, listStacks, loadPosture, type Posture } from "../../../../posture/index.ts";
import { planResources, recordStack } from "../../../../scripts/lib/plan/plan.ts";
import type { Recorded } from "../../../../scripts/lib/plan/record.ts";
import { apply, type Mutation, set } from "../../../infra/policy/mutate.ts";

const stacks = listStacks();
const recorded = new Map<string, { posture: Posture; rs: Recorded[] }>();

beforeAll(async () => {
  // The mock runtime is process-global: one stack at a time.
  for (const s of stacks) {
    const posture = loadPosture(s);
    recorded.set(s, { posture, rs: await recordStack(posture) });
  }
}, 300_000);

const get = (s: string) => {
  const r = recorded.get(s);
  if (!r) throw new Error(`stack ${s} was not recorded`);
  return r;
};
const toSubject = (r: Recorded): Subject => ({ type: r.type, name: r.name, id: r.id, props: r.inputs });
const toRecorded = (s: Subject): Recorded => ({
  type: s.type,
  name: s.name,
  id: s.id ?? `${s.name}-id`,
  inputs: s.props,
});
const weaken = (s: string, m: Mutation) => {
  const { posture, rs } = get(s);
  return planResources(apply(rs.map(toSubject), m).map(toRecorded), posture);
};

describe("rampart plan on the shipped stacks", () => {
  test("ships the five stacks", () => {
    expect(stacks).toEqual(["aws-frankfurt", "gcp-mumbai", "gcp-zurich", "hetzner-nuremberg", "local"]);
  });

  for (const s of stacks) {
    test(`${s}: every claim is proven, evidence-backed or not applicable`, () => {
      const plan = planResources(get(s).rs, get(s).posture);
      expect(plan.violations).toEqual([]);
      expect(plan.ok).toBe(true);
    });

    test(`${s}: lists every claim of the catalog exactly once, never silently absent`, () => {
      const { posture, rs } = get(s);
      const plan = planResources(rs, posture);
      expect(plan.claims.map((c) => c.id)).toEqual(CLAIMS.map((c) => c.id));
      for (const c of plan.claims) {
        const def = CLAIMS.find((d) => d.id === c.id);
        expect(c.status === "not-applicable", c.id).toBe(!def?.applies(posture));
        if (c.status === "proven") expect(c.proofs.length, c.id).toBeGreaterThan(0);
      }
    });
  }

  test("gcp-zurich: the inventory shows type, name, region and the checked inputs", () => {
    const plan = planResources(get("gcp-zurich").rs, get("gcp-zurich").posture);
    const backups = plan.resources.find(
      (r) => r.type === tokenOf(gcp.storage.Bucket) && r.name.includes("backups"),
    );
    expect(backups?.region?.toLowerCase()).toBe("europe-west6");
    expect(backups?.checked).toMatchObject({
      publicAccessPrevention: "enforced",
      uniformBucketLevelAccess: true,
    });
    const proven = plan.claims.find((c) => c.id === "edge.tls-min");
    expect(proven?.status).toBe("proven");
    expect(proven?.proofs.map((p) => p.value)).toContain("1.3");
  });
});

describe("weakened variants fail with the right claim id", () => {
  const failing = (plan: ReturnType<typeof planResources>) =>
    [...new Set(plan.violations.map((v) => v.claim))].sort();
  const GCS = tokenOf(gcp.storage.Bucket);

  test("versioning off", () => {
    expect(failing(weaken("gcp-zurich", set(GCS, "uploads", "versioning.enabled", false)))).toEqual([
      "storage.versioned",
    ]);
  });
  test("a bucket in another region", () => {
    expect(failing(weaken("gcp-zurich", set(GCS, "backups", "location", "us-central1")))).toEqual([
      "residency.region",
    ]);
  });
  test("TLS 1.0 at the edge", () => {
    const plan = weaken(
      "gcp-zurich",
      set(tokenOf(cloudflare.ZoneSetting), "min-tls-version", "value", "1.0"),
    );
    expect(failing(plan)).toEqual(["edge.tls-min"]);
    expect(plan.ok).toBe(false);
    expect(plan.claims.find((c) => c.id === "edge.tls-min")?.status).toBe("violated");
  });
  test("lifecycle expiry shorter than the promised retention", () => {
    const m: Mutation = (rs) =>
      set(GCS, "backups", "lifecycleRules", [
        { action: { type: "Delete" }, condition: { age: 60 } },
        ...(
          (rs.find((r) => r.type === GCS && r.name.includes("backups"))?.props.lifecycleRules as unknown[]) ??
          []
        ).filter((r) => JSON.stringify(r).includes("SetStorageClass")),
      ])(rs);
    expect(failing(weaken("gcp-zurich", m))).toEqual(["backup.retention", "storage.lifecycle"]);
  });
  test("a backup role with s3:*", () => {
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:*"], Resource: ["*"] }],
    });
    const plan = weaken("aws-frankfurt", set(tokenOf(aws.iam.RolePolicy), "jobs-backup", "policy", policy));
    expect(
      plan.violations.filter((v) => v.claim === "backup.least-privilege").map((v) => v.resource),
    ).toEqual(["jobs-backup-policy"]);
  });
});
