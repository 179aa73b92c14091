import { UserError } from "../../../posture/errors.ts";

export type BucketUrl = {
  bucket: string;
  /** Key prefix inside the bucket, "" or ending in "/". */
  prefix: string;
  /** The URL normalised: no doubled or trailing slashes. */
  url: string;
};

/** `s3://bucket/prefix` or `gs://bucket/prefix` → its parts; `what` names the store in the error. */
export function parseBucketUrl(url: string, scheme: "s3" | "gs", what: string): BucketUrl {
  const m = new RegExp(`^${scheme}://([^/]+)/?(.*)$`).exec(url);
  if (!m?.[1])
    throw new UserError(`not ${what} store URL: ${url}`, {
      hint: `use ${scheme}://bucket/prefix`,
      exitCode: 2,
    });
  const bucket = m[1];
  const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  return {
    bucket,
    prefix: prefix ? `${prefix}/` : "",
    url: `${scheme}://${bucket}${prefix ? `/${prefix}` : ""}`,
  };
}
