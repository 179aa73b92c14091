import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { type RetryOptions, withRetry } from "./retry.ts";

export type MultipartPutOptions = {
  client: S3Client;
  bucket: string;
  key: string;
  /** Bytes of part `n`, 1-based (S3: ≥ 5 MiB except the last, ≤ 10,000 parts): part-size.ts. */
  partSize: (n: number) => number;
  /** Parts uploading at once while the next one fills. */
  queue: number;
  contentType?: string;
  signal?: AbortSignal;
  retry: RetryOptions;
  onProgress?: (bytesStored: number) => void;
};

/**
 * Streams `body` to S3: one PutObject when it fits in a part, else a multipart upload. Each part is
 * copied into one of `queue + 1` reused buffers (memory is bounded by them, and no per-part garbage is
 * made), uploaded with a CRC32 checksum S3 verifies, and retried on its own with backoff (a buffered part
 * can be replayed; a stream cannot). Any failure — the body, a part, the signal — aborts the multipart
 * upload, so no parts are left behind. Resolves with the number of bytes stored.
 */
export async function multipartPut(body: Readable, o: MultipartPutOptions): Promise<number> {
  const requests = new AbortController();
  const onAbort = () => {
    requests.abort(o.signal?.reason);
    body.destroy(o.signal?.reason ?? new Error("upload aborted"));
  };
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  const send = <T>(command: () => Promise<T>) => withRetry(command, { ...o.retry, signal: requests.signal });
  const { Bucket, Key } = { Bucket: o.bucket, Key: o.key };

  // Not cancellable on purpose: an upload S3 created while we stopped listening could not be aborted.
  let uploadId: Promise<string> | undefined;
  const createUpload = () =>
    (uploadId ??= withRetry(
      () =>
        o.client.send(
          new CreateMultipartUploadCommand({
            Bucket,
            Key,
            ContentType: o.contentType,
            ChecksumAlgorithm: "CRC32",
          }),
        ),
      o.retry,
    ).then((r) => {
      if (!r.UploadId) throw new Error(`S3 CreateMultipartUpload returned no UploadId for ${Key}`);
      return r.UploadId;
    }));

  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  const free: Buffer[] = [];
  /** A reused buffer of `size` bytes; buffers of a size no longer in use are dropped. */
  const take = (size: number): Buffer => {
    for (let b = free.pop(); b; b = free.pop()) if (b.length === size) return b;
    return Buffer.allocUnsafeSlow(size);
  };
  let part: Buffer = take(o.partSize(1));
  let filled = 0;
  let stored = 0;

  const uploadPart = (data: Buffer, PartNumber: number): Promise<void> => {
    const done = createUpload()
      .then((UploadId) =>
        send(() =>
          o.client.send(
            new UploadPartCommand({
              Bucket,
              Key,
              UploadId,
              PartNumber,
              Body: data,
              ChecksumAlgorithm: "CRC32",
            }),
            { abortSignal: requests.signal },
          ),
        ),
      )
      .then((r) => {
        parts[PartNumber - 1] = { PartNumber, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 };
        stored += data.length;
        o.onProgress?.(stored);
        if (data.length === data.buffer.byteLength) free.push(data); // not the last part's short view
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
    return done;
  };

  try {
    let partNumber = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let at = 0;
      while (at < chunk.length) {
        const n = chunk.copy(part, filled, at);
        at += n;
        filled += n;
        if (filled < part.length) continue;
        while (inFlight.size >= o.queue) await Promise.race(inFlight);
        void uploadPart(part, ++partNumber).catch(() => {}); // awaited below through inFlight
        part = take(o.partSize(partNumber + 1));
        filled = 0;
      }
    }
    if (partNumber === 0) {
      // Small object: a single request (S3 computes and checks the CRC32 the SDK sends).
      const data = part.subarray(0, filled);
      await send(() =>
        o.client.send(new PutObjectCommand({ Bucket, Key, Body: data, ContentType: o.contentType }), {
          abortSignal: requests.signal,
        }),
      );
      o.onProgress?.(filled);
      return filled;
    }
    if (filled > 0) void uploadPart(part.subarray(0, filled), ++partNumber).catch(() => {});
    while (inFlight.size > 0) await Promise.race(inFlight);
    const UploadId = await createUpload();
    await send(() =>
      o.client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
        { abortSignal: requests.signal },
      ),
    );
    return stored;
  } catch (err) {
    requests.abort(err);
    await Promise.allSettled([...inFlight]);
    if (uploadId) await abortUpload(o, await uploadId.catch(() => undefined));
    throw err;
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
  }
}

/** Removes the parts of a failed upload (they would cost money and hold half a backup). */
async function abortUpload(o: MultipartPutOptions, UploadId: string | undefined): Promise<void> {
  if (!UploadId) return;
  await withRetry(
    () => o.client.send(new AbortMultipartUploadCommand({ Bucket: o.bucket, Key: o.key, UploadId })),
    o.retry,
  ).catch(() => {}); // NoSuchUpload: already gone.
}
