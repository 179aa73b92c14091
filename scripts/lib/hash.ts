import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Pass-through that counts and SHA-256-hashes the bytes flowing through it, e.g. between encryption and
 * upload, so the manifest records the digest of exactly what was stored without reading it back.
 */
export class HashTap extends Transform {
  private readonly hash: Hash = createHash("sha256");
  private digest: string | undefined;
  /** Bytes seen so far. */
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest("hex");
    callback();
  }

  /** Hex SHA-256 of every byte that passed; only once the stream has ended (a partial digest would lie). */
  sha256(): string {
    if (this.digest === undefined) throw new Error("HashTap.sha256() called before the stream ended");
    return this.digest;
  }
}

/** Hex SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const tap = new HashTap();
  await pipeline(createReadStream(path), tap, async (source: AsyncIterable<Buffer>) => {
    for await (const _ of source);
  });
  return tap.sha256();
}
