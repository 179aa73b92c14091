import type { Readable } from "node:stream";

/** One stored object as a listing returns it. */
export type ObjectInfo = { key: string; size: number; lastModified: Date };

export type PutOptions = {
  /** Expected size in bytes, if known: S3 grows its part size from it to stay under 10,000 parts. */
  expectedSize?: number;
  contentType?: string;
  /** Aborting fails the put and removes every partial upload (multipart abort / resumable cancel / temp file). */
  signal?: AbortSignal;
  /** Called with cumulative bytes stored, for progress lines. */
  onProgress?: (bytesStored: number) => void;
};

export type PutResult = { key: string; bytes: number };

export type GetOptions = {
  /** Read from this byte on, to the end: resumes a download a dropped connection cut short. @default 0 */
  start?: number;
};

/** Why a delete did not happen. `locked`: object lock / retention policy refused (reported, never fatal). */
export type DeleteResult =
  | { key: string; deleted: true }
  | { key: string; deleted: false; reason: "locked" | "missing" | "denied"; detail: string };

/**
 * A place for backups and evidence: s3://bucket/prefix, gs://bucket/prefix or file:///path.
 * Keys are relative to the store's root (no leading slash). Implementations retry transient errors
 * with backoff, and a failed `put` leaves nothing behind that a listing would show.
 */
export interface Store {
  /** The root URL, e.g. s3://acme-backups/postgres. */
  readonly url: string;
  /** Stream `body` to `key`. Resolves only once the object is complete and durable. */
  put(key: string, body: Readable, opts?: PutOptions): Promise<PutResult>;
  /** Small objects (manifests, evidence). */
  putBytes(key: string, body: Uint8Array | string, contentType?: string): Promise<PutResult>;
  get(key: string, opts?: GetOptions): Promise<Readable>;
  getBytes(key: string): Promise<Buffer>;
  /** Every object under `prefix`, all pages. Throws rather than return a partial listing. */
  list(prefix?: string): Promise<ObjectInfo[]>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<DeleteResult>;
}
