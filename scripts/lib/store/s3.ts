import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { UserError } from "../../../posture/errors.ts";
import { redactedMessage } from "../redact.ts";
import { parseBucketUrl } from "./bucket-url.ts";
import { partSizes, uniformPartSizes } from "./part-size.ts";
import {
  DEFAULT_RETRY,
  httpStatusOf,
  isTransientHttpError,
  isTransientStatus,
  type RetryOptions,
  withRetry,
} from "./retry.ts";
import { multipartPut } from "./s3-multipart.ts";
import type { DeleteResult, GetOptions, ObjectInfo, PutOptions, PutResult, Store } from "./types.ts";

/**
 * Parts in flight. Each is a buffered copy of the body: two keep one part uploading while the next fills
 * (a backup's compressed stream is far slower than the network), and bound the upload's memory to
 * 3 reused part buffers (15 MiB until the object passes 10 GB: part-size.ts). Four were not measurably
 * faster against moto and cost ~10–15 MB more peak RSS in `rampart backup`.
 */
const QUEUE = 2;

export type S3StoreOptions = {
  /** Overrides AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (tests point it at a fault-injecting proxy). */
  endpoint?: string;
  region?: string;
  retry?: Partial<Omit<RetryOptions, "isTransient">>;
  /** Extra SDK client settings (credentials, requestHandler); production leaves this unset. */
  clientConfig?: S3ClientConfig;
};

/** S3 error names that mean "try again": throttling and server-side hiccups. */
const TRANSIENT_NAMES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestTimeout",
  "RequestTimeTooSkewed",
  "InternalError",
  "ServiceUnavailable",
  "TooManyRequestsException",
]);

export function isTransientS3Error(err: unknown): boolean {
  if (err instanceof S3ServiceException) {
    return TRANSIENT_NAMES.has(err.name) || isTransientStatus(err.$metadata.httpStatusCode);
  }
  return isTransientHttpError(err);
}

const nameOf = (err: unknown): string => (err instanceof Error ? err.name : "");

/**
 * s3://bucket/prefix. Works with AWS and S3-compatible services (MinIO, Hetzner, R2, moto): when an
 * endpoint is configured, path-style addressing is used. Every request, each part of a multipart upload
 * included, is retried here with backoff (the SDK's own retries are off, so attempts don't multiply).
 */
export class S3Store implements Store {
  readonly url: string;
  readonly bucket: string;
  /** Key prefix inside the bucket, "" or ending in "/". */
  readonly prefix: string;
  readonly endpoint: string | undefined;
  private readonly client: S3Client;
  private readonly retry: Omit<RetryOptions, "isTransient">;

  constructor(url: string, opts: S3StoreOptions = {}) {
    ({ bucket: this.bucket, prefix: this.prefix, url: this.url } = parseBucketUrl(url, "s3", "an S3"));
    this.endpoint =
      opts.endpoint || process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
    const base: S3ClientConfig = {
      region: opts.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1",
      ...(this.endpoint ? { endpoint: this.endpoint, forcePathStyle: true } : {}),
      ...opts.clientConfig,
    };
    this.client = new S3Client({ ...base, maxAttempts: 1 });
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  private key(key: string): string {
    if (key.startsWith("/") || key.split("/").includes(".."))
      throw new UserError(`refusing object key outside the store: ${JSON.stringify(key)}`);
    return this.prefix + key;
  }

  private call<T>(action: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, { ...this.retry, isTransient: isTransientS3Error }).catch((err: unknown) => {
      throw this.userError(action, key, err);
    });
  }

  /** Turns the user's problems (bucket, permissions) into a UserError with the fix; bugs pass through. */
  private userError(action: string, key: string | undefined, err: unknown): unknown {
    const where = this.endpoint ?? "AWS";
    const what = key === undefined ? this.url : `${this.url}/${key}`;
    const name = nameOf(err);
    if (name === "NoSuchBucket")
      return new UserError(
        `S3 ${action} failed: bucket ${this.bucket} does not exist or is not reachable at ${where}`,
        {
          hint: [
            "check the bucket name in the posture (stores.*) and the region/endpoint",
            "AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL select S3-compatible services",
          ],
          cause: err,
        },
      );
    if (name === "AccessDenied" || name === "Forbidden" || httpStatusOf(err) === 403)
      return new UserError(`S3 ${action} of ${what} was denied (${redactedMessage(err)})`, {
        hint: `the credentials in use need ${PERMISSION[action] ?? `s3:${action}`} on ${this.bucket}`,
        cause: err,
      });
    if (
      name === "InvalidAccessKeyId" ||
      name === "SignatureDoesNotMatch" ||
      name === "CredentialsProviderError"
    )
      return new UserError(`S3 ${action} failed: the AWS credentials were rejected (${name})`, {
        hint: "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE for this environment",
        cause: err,
      });
    if (isTransientS3Error(err))
      return new UserError(
        `S3 ${action} of ${what} failed after ${this.retry.attempts} attempts: ${redactedMessage(err)}`,
        {
          hint: `${where} kept failing with transient errors; retry later`,
          cause: err,
        },
      );
    return err;
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<PutResult> {
    const Key = this.key(key);
    try {
      const bytes = await multipartPut(body, {
        client: this.client,
        bucket: this.bucket,
        key: Key,
        // AWS takes parts of any size ≥ 5 MiB; other S3 implementations may want them all alike.
        partSize: (this.endpoint ? uniformPartSizes : partSizes)(opts.expectedSize),
        queue: QUEUE,
        contentType: opts.contentType,
        signal: opts.signal,
        retry: { ...this.retry, isTransient: isTransientS3Error },
        onProgress: opts.onProgress,
      });
      return { key, bytes };
    } catch (err) {
      throw this.userError("PutObject", key, err);
    }
  }

  async putBytes(key: string, body: Uint8Array | string, contentType?: string): Promise<PutResult> {
    const Key = this.key(key);
    await this.call("PutObject", key, () =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentType: contentType }),
      ),
    );
    return { key, bytes: typeof body === "string" ? Buffer.byteLength(body) : body.byteLength };
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const Key = this.key(key);
    const Range = opts.start ? `bytes=${opts.start}-` : undefined;
    const res = await this.call("GetObject", key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range })),
    ).catch((err: unknown) => {
      throw nameOf(err) === "NoSuchKey"
        ? new UserError(`no such object: ${this.url}/${key}`, { cause: err })
        : err;
    });
    // A server or proxy that ignores Range sends the whole object: appended at `start`, it would fail
    // the integrity check and look like a tampered backup.
    if (opts.start && !res.ContentRange?.startsWith(`bytes ${opts.start}-`)) {
      if (res.Body instanceof Readable) res.Body.destroy();
      throw new UserError(`${this.url}/${key} was sent whole when asked from byte ${opts.start}`, {
        hint: "the store or a proxy in front of it ignores Range requests: run the restore again (it starts over)",
      });
    }
    if (res.Body instanceof Readable) return res.Body;
    throw new Error(`S3 GetObject returned a non-stream body for ${this.url}/${key}`);
  }

  async getBytes(key: string): Promise<Buffer> {
    const Key = this.key(key);
    return this.call("GetObject", key, async () => {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!res.Body) throw new Error(`S3 GetObject returned no body for ${this.url}/${key}`);
      return Buffer.from(await res.Body.transformToByteArray());
    }).catch((err: unknown) => {
      throw nameOf(err) === "NoSuchKey"
        ? new UserError(`no such object: ${this.url}/${key}`, { cause: err })
        : err;
    });
  }

  async list(prefix = ""): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const Prefix = this.prefix + prefix;
    let token: string | undefined;
    do {
      const ContinuationToken = token;
      const page = await this.call("ListObjectsV2", undefined, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken })),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        out.push({
          key: o.Key.slice(this.prefix.length),
          size: o.Size ?? 0,
          lastModified: o.LastModified ?? new Date(0),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !token)
        throw new Error(`S3 listing of ${this.url} is truncated without a continuation token`);
    } while (token);
    return out;
  }

  async exists(key: string): Promise<boolean> {
    const Key = this.key(key);
    try {
      await this.call("HeadObject", key, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key })),
      );
      return true;
    } catch (err) {
      // HEAD responses have no body, so a missing bucket is also a bare 404 here.
      const cause = err instanceof UserError ? err.cause : err;
      if (httpStatusOf(cause) === 404 || nameOf(cause) === "NotFound") return false;
      throw err;
    }
  }

  /**
   * Deletes every version of `key` (plus its delete markers), so that retention really frees the data
   * in versioned buckets. Versions under object lock are refused by S3: reported as `locked`, not thrown.
   */
  async delete(key: string): Promise<DeleteResult> {
    const Key = this.key(key);
    const versions = await this.versionsOf(Key);
    if (versions.length === 0) return { key, deleted: false, reason: "missing", detail: "no such object" };
    const refused: string[] = [];
    let denied: string | undefined;
    for (const VersionId of versions) {
      try {
        await this.call("DeleteObjectVersion", key, () =>
          this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key, VersionId })),
        );
      } catch (err) {
        const cause = err instanceof UserError && err.cause !== undefined ? err.cause : err;
        if (!isRefusal(cause)) throw err;
        const lock = await this.lockOf(Key, VersionId);
        if (lock ?? isObjectLockMessage(cause))
          refused.push(`${VersionId}: ${lock ?? redactedMessage(cause)}`);
        else denied = redactedMessage(cause);
      }
    }
    if (refused.length > 0)
      return {
        key,
        deleted: false,
        reason: "locked",
        detail: `${refused.length} of ${versions.length} version(s) under object lock (${refused[0]})`,
      };
    if (denied !== undefined)
      return { key, deleted: false, reason: "denied", detail: `${denied}; needs s3:DeleteObjectVersion` };
    return { key, deleted: true };
  }

  /**
   * Why S3 may have refused deleting a version: its retention or legal hold, if one is in force.
   * Asked rather than parsed from the error, whose wording differs between S3 and its imitations.
   */
  private async lockOf(Key: string, VersionId: string): Promise<string | undefined> {
    const head = await this.client
      .send(new HeadObjectCommand({ Bucket: this.bucket, Key, VersionId }))
      .catch(() => undefined);
    if (!head) return undefined;
    if (head.ObjectLockLegalHoldStatus === "ON") return "legal hold";
    const until = head.ObjectLockRetainUntilDate;
    if (head.ObjectLockMode && until && until.getTime() > Date.now())
      return `${head.ObjectLockMode} retention until ${until.toISOString()}`;
    return undefined;
  }

  /** Version ids of exactly `Key` (not of keys it is a prefix of), delete markers included. */
  private async versionsOf(Key: string): Promise<string[]> {
    const ids: string[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (;;) {
      const page = await this.call("ListObjectVersions", undefined, () =>
        this.client.send(
          new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: Key, KeyMarker, VersionIdMarker }),
        ),
      );
      for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])])
        if (v.Key === Key) ids.push(v.VersionId ?? "null");
      if (!page.IsTruncated) return ids;
      KeyMarker = page.NextKeyMarker;
      VersionIdMarker = page.NextVersionIdMarker;
    }
  }
}

/** S3 refuses deleting a locked version with AccessDenied (or InvalidRequest on some S3-compatibles). */
const isRefusal = (err: unknown): boolean =>
  nameOf(err) === "AccessDenied" || nameOf(err) === "InvalidRequest" || httpStatusOf(err) === 403;

const isObjectLockMessage = (err: unknown): boolean =>
  /object.?lock|retention|legal.?hold|protected/i.test(err instanceof Error ? err.message : "");

/** The IAM permission each action needs, for AccessDenied hints. */
const PERMISSION: Record<string, string> = {
  PutObject: "s3:PutObject (and s3:AbortMultipartUpload for multipart uploads)",
  GetObject: "s3:GetObject",
  HeadObject: "s3:GetObject",
  ListObjectsV2: "s3:ListBucket",
  ListObjectVersions: "s3:ListBucketVersions",
  DeleteObjectVersion: "s3:DeleteObjectVersion",
};
