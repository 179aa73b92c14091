// The one recorder's options: the product defaults (rampart plan) and the test preset differ only here.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import { recordProgram } from "../../../../scripts/lib/plan/record.ts";
import { recordProgram as recordForTests } from "../../../support/pulumi-mocks.ts";

/** A bucket with a secret tag and a policy built from the bucket's ARN. */
function program(): void {
  const bucket = new aws.s3.Bucket("data", {
    bucket: "acme-data",
    tags: { token: pulumi.secret("s3cr3t") },
  });
  new aws.s3.BucketPolicy("data-policy", {
    bucket: bucket.id,
    policy: bucket.arn.apply((arn) => JSON.stringify({ Resource: arn ?? "none" })),
  });
}

describe("recordProgram", () => {
  test("product defaults: physical ids, offline ARNs, plain secrets, values resolved", async () => {
    const rs = await recordProgram(program);
    const bucket = rs.find((r) => r.name === "data");
    const policy = rs.find((r) => r.name === "data-policy");
    expect(bucket?.id).toBe("acme-data");
    expect(bucket?.inputs.tags).toEqual({ token: "s3cr3t" });
    expect(policy?.id).toBe("data-policy-id");
    expect(policy?.inputs.bucket).toBe("acme-data");
    expect(policy?.inputs.policy).toBe(
      JSON.stringify({ Resource: "arn:offline:aws:s3/bucket:Bucket:acme-data" }),
    );
  });

  test("test preset: logical ids, no ARNs, secrets left wrapped, preview semantics", async () => {
    const rs = await recordForTests(program);
    const bucket = rs.find((r) => r.name === "data");
    const policy = rs.find((r) => r.name === "data-policy");
    expect(bucket?.id).toBe("data-id");
    // The SDK's secret marker still wraps the value, so inventory snapshots can blank it.
    expect(JSON.stringify(bucket?.inputs.tags)).toContain("4dabf18193072939515e22adb298388d");
    expect(bucket?.inputs.tags).not.toEqual({ token: "s3cr3t" });
    expect(policy?.inputs.bucket).toBe("data-id");
    // Dry run: the unset ARN is unknown, so the policy built from it is recorded as unknown, not as text.
    expect(typeof policy?.inputs.policy).not.toBe("string");
  });

  test("an invoke nobody answers fails the recording with the caller's wording", async () => {
    const calls = () => aws.getCallerIdentity({});
    await expect(recordProgram(calls)).rejects.toThrow(/cannot answer offline/);
    await expect(recordForTests(calls)).rejects.toThrow(/unexpected invoke aws:index\/getCallerIdentity/);
  });
});
