import { describe, expect, test } from "vitest";
import { trailCoversBucket } from "../../../infra/policy/trail-coverage.ts";

const advanced = (arnFilter: Record<string, unknown>[], extra: Record<string, unknown>[] = []) => ({
  advancedEventSelectors: [
    { fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
    {
      fieldSelectors: [
        { field: "eventCategory", equals: ["Data"] },
        { field: "resources.type", equals: ["AWS::S3::Object"] },
        ...arnFilter,
        ...extra,
      ],
    },
  ],
});

describe("trailCoversBucket", () => {
  test("advanced selectors: the bucket's ARN prefix, any bucket, or none", () => {
    const mine = advanced([{ field: "resources.ARN", startsWiths: ["arn:aws:s3:::a/", "arn:aws:s3:::b/"] }]);
    expect(trailCoversBucket(mine, "a")).toBe(true);
    expect(trailCoversBucket(mine, "b")).toBe(true);
    expect(trailCoversBucket(mine, "ab")).toBe(false);
    expect(trailCoversBucket(advanced([]), "ab")).toBe(true);
    expect(
      trailCoversBucket(advanced([{ field: "resources.ARN", startsWiths: ["arn:aws:s3:::a/logs/"] }]), "a"),
    ).toBe(false);
  });

  test("advanced selectors filtered to reads or writes only do not count", () => {
    expect(trailCoversBucket(advanced([], [{ field: "readOnly", equals: ["true"] }]), "a")).toBe(false);
  });

  test("classic selectors: S3 object data resources for reads and writes", () => {
    const classic = (values: string[], readWriteType?: string) => ({
      eventSelectors: [{ readWriteType, dataResources: [{ type: "AWS::S3::Object", values }] }],
    });
    expect(trailCoversBucket(classic(["arn:aws:s3"]), "a")).toBe(true);
    expect(trailCoversBucket(classic(["arn:aws:s3:::a/"]), "a")).toBe(true);
    expect(trailCoversBucket(classic(["arn:aws:s3:::a/"], "ReadOnly"), "a")).toBe(false);
    expect(trailCoversBucket(classic(["arn:aws:s3:::b/"]), "a")).toBe(false);
    expect(trailCoversBucket({ eventSelectors: [{ readWriteType: "All" }] }, "a")).toBe(false);
  });
});
