// Does a CloudTrail trail record S3 object reads and writes on a bucket? Classic and advanced selectors.

import type { Props } from "./props.ts";
import { records, str } from "./props.ts";

const S3_OBJECT = "AWS::S3::Object";
const strings = (v: unknown): string[] =>
  (Array.isArray(v) ? v : []).map(str).filter((s): s is string => s !== undefined);

/** An ARN pattern covers every object of the bucket when `arn:aws:s3:::<bucket>/` starts with it. */
const coversObjects = (patterns: readonly string[], bucketArn: string) =>
  patterns.some((p) => p !== "" && `${bucketArn}/`.startsWith(p));

/** Classic: `dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::<bucket>/"] }]`, reads and writes. */
function classicCovers(selector: Props, bucketArn: string): boolean {
  const rw = str(selector.readWriteType) ?? "All";
  return (
    rw === "All" &&
    records(selector.dataResources).some(
      (d) => d.type === S3_OBJECT && coversObjects(strings(d.values), bucketArn),
    )
  );
}

/**
 * Advanced: data events of `resources.type` AWS::S3::Object, no `readOnly` filter (reads and writes), and
 * either no `resources.ARN` filter (every bucket) or one whose `equals`/`startsWiths` (Pulumi's name for
 * `StartsWith`) covers the bucket.
 */
function advancedCovers(selector: Props, bucketArn: string): boolean {
  const fields = records(selector.fieldSelectors);
  const field = (name: string) => fields.filter((f) => f.field === name);
  const equalsOnly = (name: string, value: string) =>
    field(name).some((f) => strings(f.equals).length === 1 && strings(f.equals)[0] === value);
  if (!equalsOnly("eventCategory", "Data") || !equalsOnly("resources.type", S3_OBJECT)) return false;
  if (field("readOnly").length > 0) return false;
  const arns = field("resources.ARN");
  return (
    arns.length === 0 ||
    arns.every((f) =>
      coversObjects([...strings(f.equals), ...strings(f.startsWiths), ...strings(f.startsWith)], bucketArn),
    )
  );
}

/** True when the trail's selectors record S3 data events (reads and writes) on every object of the bucket. */
export function trailCoversBucket(trail: Props, bucketName: string): boolean {
  const arn = `arn:aws:s3:::${bucketName}`;
  return (
    records(trail.eventSelectors).some((s) => classicCovers(s, arn)) ||
    records(trail.advancedEventSelectors).some((s) => advancedCovers(s, arn))
  );
}
