import type { ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { describe, expect, test } from "vitest";
import { toPolicy } from "../../../infra/policy/pack.ts";
import { stackOfUrn } from "../../../infra/policy/posture-for-stack.ts";
import { RULES } from "../../../infra/policy/rules/index.ts";
import { loadPosture } from "../../../posture/index.ts";
import { recordWorld } from "./fixtures.ts";
import { apply, set } from "./mutate.ts";

const rule = (name: string) => {
  const r = RULES.find((x) => x.name === name);
  if (!r) throw new Error(name);
  return r;
};
const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::rampart::${type}::${name}`;
class NotApplicable extends Error {}

describe("CrossGuard pack", () => {
  test("reads the stack name from a URN", () => {
    expect(stackOfUrn("urn:pulumi:gcp-zurich::rampart::gcp:storage/bucket:Bucket::b")).toBe("gcp-zurich");
    expect(() => stackOfUrn("nope")).toThrow(/not a Pulumi URN/);
  });

  test("resource policies are mandatory, report violations with claim and fix, and are n/a where the posture makes no promise", async () => {
    const { posture, resources } = await recordWorld("gcp-zurich");
    const weakened = apply(
      resources,
      set("gcp:storage/bucket:Bucket", "uploads", "versioning.enabled", false),
    );
    const bucket = weakened.find((r) => r.name === "uploads-bucket");
    if (!bucket) throw new Error("fixture");
    const policy = toPolicy(rule("storage.versioned.gcs-bucket"), () => posture);
    expect(policy.enforcementLevel).toBe("mandatory");
    if (!("validateResource" in policy) || typeof policy.validateResource !== "function")
      throw new Error("resource policy");
    const reports: string[] = [];
    const args = {
      type: bucket.type,
      name: bucket.name,
      props: bucket.props,
      urn: urn("gcp-zurich", bucket.type, bucket.name),
      notApplicable: (why?: string): never => {
        throw new NotApplicable(why);
      },
    } as unknown as ResourceValidationArgs;
    await policy.validateResource(args, (m) => reports.push(m));
    expect(reports).toEqual([
      expect.stringMatching(
        /^\[storage\.versioned\] uploads-bucket versioning\.enabled: .* — fix: set versioning/,
      ),
    ]);

    const local = loadPosture("local");
    const none = toPolicy(rule("storage.versioned.gcs-bucket"), () => local);
    const validate = "validateResource" in none ? none.validateResource : undefined;
    if (typeof validate !== "function") throw new Error("resource policy");
    expect(() => validate(args, () => {})).toThrow(NotApplicable);
  });

  test("stack policies report missing resources on the stack and bad ones on their URN", async () => {
    const { posture, resources } = await recordWorld("aws-frankfurt");
    const policy = toPolicy(rule("storage.versioned.s3-bucket"), () => posture);
    if (!("validateStack" in policy)) throw new Error("stack policy");
    const weakened = apply(
      resources,
      set(
        "aws:s3/bucketVersioning:BucketVersioning",
        "uploads",
        "versioningConfiguration.status",
        "Suspended",
      ),
    );
    const reports: [string, string | undefined][] = [];
    const args = {
      resources: weakened.map((r) => ({ ...r, urn: urn("aws-frankfurt", r.type, r.name) })),
      notApplicable: (): never => {
        throw new NotApplicable();
      },
    } as unknown as StackValidationArgs;
    await policy.validateStack(args, (m, u) => reports.push([m, u]));
    expect(reports).toEqual([
      [
        expect.stringContaining("[storage.versioned] uploads-bucket"),
        urn("aws-frankfurt", "aws:s3/bucket:Bucket", "uploads-bucket"),
      ],
    ]);
  });
});
