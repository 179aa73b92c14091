import type { Readable } from "node:stream";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type File, Storage, type StorageOptions } from "@google-cloud/storage";
import { UserError } from "../../../posture/errors.ts";
import { redactedMessage } from "../redact.ts";
import { parseBucketUrl } from "./bucket-url.ts";
import { DEFAULT_RETRY, httpStatusOf, isTransientHttpError, type RetryOptions, withRetry } from "./retry.ts";
import type { DeleteResult, GetOptions, ObjectInfo, PutOptions, PutResult, Store } from "./types.ts";

export type GcsStoreOptions = {
  /** Overrides STORAGE_EMULATOR_HOST (tests point it at a fault-injecting proxy). */
  apiEndpoint?: string;
  retry?: Partial<Omit<RetryOptions, "isTransient">>;
};

/** Retention policy / object hold refusals: reported as `locked`, never fatal. */
const isRetentionRefusal = (err: unknown): boolean =>
  httpStatusOf(err) === 403 && /retention|hold|locked/i.test(err instanceof Error ? err.message : "");

/** http://host:port of an emulator from `host:port`, a URL, or a URL ending in /storage/v1. */
function emulatorEndpoint(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const url = /^https?:\/\//.test(value) ? value : `http://${value}`;
  return url.replace(/\/+$/, "").replace(/\/storage\/v1$/, "");
}

/**
 * gs://bucket/prefix. Honours STORAGE_EMULATOR_HOST (fake-gcs-server). Single requests are retried here
 * (the library's auto-retry is off for them, so attempts don't multiply); resumable uploads keep the
 * library's per-chunk retries, because a streamed body cannot be replayed as a whole.
 */
export class GcsStore implements Store {
  readonly url: string;
  readonly bucket: string;
  /** Object-name prefix inside the bucket, "" or ending in "/". */
  readonly prefix: string;
  private readonly storage: Storage;
  private readonly uploadStorage: Storage;
  private readonly retry: Omit<RetryOptions, "isTransient">;

  constructor(url: string, opts: GcsStoreOptions = {}) {
    ({ bucket: this.bucket, prefix: this.prefix, url: this.url } = parseBucketUrl(url, "gs", "a GCS"));
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    const apiEndpoint = emulatorEndpoint(opts.apiEndpoint ?? process.env.STORAGE_EMULATOR_HOST);
    const base: StorageOptions = apiEndpoint
      ? { apiEndpoint, projectId: process.env.GOOGLE_CLOUD_PROJECT || "rampart" }
      : {};
    this.storage = new Storage({ ...base, retryOptions: { autoRetry: false } });
    this.uploadStorage = new Storage({
      ...base,
      retryOptions: { autoRetry: true, maxRetries: this.retry.attempts - 1 },
    });
    if (apiEndpoint) {
      // With STORAGE_EMULATOR_HOST set, the library uses the raw variable as its JSON API base URL
      // (no /storage/v1, no scheme added), so listings 404 or fail to parse. Pin the base we derived.
      for (const s of [this.storage, this.uploadStorage]) s.baseUrl = `${apiEndpoint}/storage/v1`;
    }
  }

  private name(key: string): string {
    if (key.startsWith("/") || key.split("/").includes(".."))
      throw new UserError(`refusing object key outside the store: ${JSON.stringify(key)}`);
    return this.prefix + key;
  }

  private file(key: string, storage = this.storage): File {
    return storage.bucket(this.bucket).file(this.name(key));
  }

  private call<T>(action: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, { ...this.retry, isTransient: isTransientHttpError }).catch((err: unknown) => {
      throw this.userError(action, key, err);
    });
  }

  /** Turns the user's problems (bucket, permissions, missing objects) into UserErrors with the fix. */
  private userError(action: string, key: string | undefined, err: unknown): unknown {
    const what = key === undefined ? this.url : `${this.url}/${key}`;
    const code = httpStatusOf(err);
    if (code === 404 && (key === undefined || /bucket/i.test(redactedMessage(err))))
      return new UserError(`GCS ${action} failed: bucket ${this.bucket} does not exist or is not reachable`, {
        hint: "check the bucket name in the posture (stores.*) and the project",
        cause: err,
      });
    if (code === 404) return new UserError(`no such object: ${what}`, { cause: err });
    if (code === 401 || code === 403)
      return new UserError(`GCS ${action} of ${what} was denied (${redactedMessage(err)})`, {
        hint: `the service account in use needs ${PERMISSION[action] ?? "storage.objects.*"} on ${this.bucket}`,
        cause: err,
      });
    if (isTransientHttpError(err))
      return new UserError(
        `GCS ${action} of ${what} failed after ${this.retry.attempts} attempts: ${redactedMessage(err)}`,
        {
          hint: "Cloud Storage kept failing with transient errors; retry later",
          cause: err,
        },
      );
    return err;
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<PutResult> {
    const file = this.file(key, this.uploadStorage);
    let bytes = 0;
    const counted = new PassThrough();
    counted.on("data", (c: Buffer) => {
      bytes += c.length;
      opts.onProgress?.(bytes);
    });
    // Resumable: the object appears only when the last chunk is committed, so a failed or aborted put
    // (the pipeline destroys the write stream) leaves no object behind.
    const dest = file.createWriteStream({
      resumable: true,
      validation: "crc32c",
      ...(opts.contentType ? { contentType: opts.contentType } : {}),
    });
    try {
      await pipeline(body, counted, dest, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      throw this.userError("upload", key, err);
    }
    return { key, bytes };
  }

  async putBytes(key: string, body: Uint8Array | string, contentType?: string): Promise<PutResult> {
    const file = this.file(key);
    await this.call("upload", key, () =>
      file.save(typeof body === "string" ? body : Buffer.from(body), {
        resumable: false,
        ...(contentType ? { contentType } : {}),
      }),
    );
    return { key, bytes: typeof body === "string" ? Buffer.byteLength(body) : body.byteLength };
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const file = this.file(key);
    // Ask first so a missing object is a clear error here, not a late 'error' event mid-restore.
    await this.call("read", key, () => file.getMetadata());
    // A range read: the library then skips its own whole-object checksum (callers hash what they get).
    return file.createReadStream(opts.start ? { start: opts.start } : {});
  }

  async getBytes(key: string): Promise<Buffer> {
    const file = this.file(key);
    const [data] = await this.call("read", key, () => file.download());
    return data;
  }

  async list(prefix = ""): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const bucket = this.storage.bucket(this.bucket);
    let pageToken: string | undefined;
    do {
      const query = { prefix: this.prefix + prefix, autoPaginate: false, maxResults: 1000, pageToken };
      const [files, next] = await this.call("list", undefined, () => bucket.getFiles(query));
      for (const f of files) {
        out.push({
          key: f.name.slice(this.prefix.length),
          size: Number(f.metadata.size ?? 0),
          lastModified: new Date(f.metadata.updated ?? f.metadata.timeCreated ?? 0),
        });
      }
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
    } while (pageToken);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async exists(key: string): Promise<boolean> {
    const file = this.file(key);
    const [found] = await this.call("read", key, () => file.exists());
    return found;
  }

  /** Deletes the live object. A retention policy or hold refusing it is reported as `locked`. */
  async delete(key: string): Promise<DeleteResult> {
    const file = this.file(key);
    try {
      await withRetry(() => file.delete(), { ...this.retry, isTransient: isTransientHttpError });
      return { key, deleted: true };
    } catch (err) {
      if (httpStatusOf(err) === 404)
        return { key, deleted: false, reason: "missing", detail: "no such object" };
      if (isRetentionRefusal(err))
        return { key, deleted: false, reason: "locked", detail: redactedMessage(err) };
      if (httpStatusOf(err) === 403)
        return {
          key,
          deleted: false,
          reason: "denied",
          detail: `${redactedMessage(err)}; needs storage.objects.delete`,
        };
      throw this.userError("delete", key, err);
    }
  }
}

/** The IAM permission each action needs, for denial hints. */
const PERMISSION: Record<string, string> = {
  upload: "storage.objects.create",
  read: "storage.objects.get",
  list: "storage.objects.list",
  delete: "storage.objects.delete",
};
