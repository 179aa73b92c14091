import type { KeyObject } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { type DecryptOptions, keyring, NONCE } from "./decrypt.ts";
import { HeaderError, MAX_HEADER, parseHeader, verifyHeaderMac } from "./header.ts";
import { CHUNK, Counter, openChunk, PayloadError, payloadKey, TAG } from "./payload.ts";

const SEALED = CHUNK + TAG;
/** Sealed chunks read from the file at once (~1 MiB). */
const READ_CHUNKS = 16;

/**
 * An age file on disk, decryptable from any offset of its plaintext: the payload is a STREAM of 64 KiB
 * chunks whose nonces are their index (and a last-chunk flag), so chunk k opens on its own once the
 * payload key is known, and is still authenticated for that position. Which chunk is last follows from
 * the file's size. Used by restores that decode a backup's largest table ahead of the rest (seek index).
 */
export class SeekableAgeFile {
  private readonly fh: FileHandle;
  private readonly key: KeyObject;
  /** File offset of the first sealed chunk. */
  private readonly payloadAt: number;
  /** Number of sealed chunks. */
  private readonly chunks: number;
  private readonly mapError: (err: unknown) => Promise<unknown>;
  /** Bytes of plaintext in the file. */
  readonly size: number;

  private constructor(o: {
    fh: FileHandle;
    key: KeyObject;
    payloadAt: number;
    payloadBytes: number;
    mapError: (err: unknown) => Promise<unknown>;
  }) {
    this.fh = o.fh;
    this.key = o.key;
    this.payloadAt = o.payloadAt;
    this.chunks = Math.ceil(o.payloadBytes / SEALED);
    this.size = o.payloadBytes - this.chunks * TAG;
    this.mapError = o.mapError;
  }

  /** Open `path` with the first of `identities` that fits; the same errors as decryptStream. */
  static async open(path: string, identities: readonly string[], opts: DecryptOptions = {}) {
    const { unwrap, mapError } = await keyring(identities, opts);
    const fh = await open(path, "r");
    try {
      const size = (await fh.stat()).size;
      const head = Buffer.alloc(Math.min(size, MAX_HEADER + NONCE));
      await fh.read(head, 0, head.length, 0);
      const header = parseHeader(head);
      if (!header) throw new HeaderError(size === 0 ? "the file is empty" : "truncated header");
      const payloadAt = header.size + NONCE;
      const payloadBytes = size - payloadAt;
      if (payloadBytes <= 0) throw new PayloadError("truncated: the payload is missing");
      const chunks = Math.ceil(payloadBytes / SEALED);
      if (payloadBytes - (chunks - 1) * SEALED < TAG)
        throw new PayloadError("truncated: the last chunk is cut");
      const fileKey = await unwrap(header, head.subarray(0, header.size));
      try {
        if (!verifyHeaderMac(header, fileKey)) throw new HeaderError("invalid header MAC");
        const { key } = payloadKey(fileKey, head.subarray(header.size, payloadAt));
        return new SeekableAgeFile({ fh, key, payloadAt, payloadBytes, mapError });
      } finally {
        fileKey.fill(0);
      }
    } catch (e) {
      await fh.close();
      throw await mapError(e);
    }
  }

  /** The plaintext from byte `from` to the end, in chunks of up to 64 KiB, each authenticated first. */
  async *plaintext(from: number): AsyncGenerator<Buffer> {
    if (from > this.size) throw new Error(`plaintext offset ${from} is past the end (${this.size})`);
    if (from === this.size && from > 0) return;
    const first = Math.floor(from / CHUNK);
    const buf = Buffer.allocUnsafe(READ_CHUNKS * SEALED);
    const counter = new Counter();
    for (let k = first; k < this.chunks; ) {
      const n = Math.min(READ_CHUNKS, this.chunks - k);
      const { bytesRead } = await this.fh.read(buf, 0, n * SEALED, this.payloadAt + k * SEALED);
      for (let i = 0; i < n; i++, k++) {
        const sealed = buf.subarray(i * SEALED, Math.min(bytesRead, (i + 1) * SEALED));
        counter.count = k;
        const last = k === this.chunks - 1;
        const plain = openChunk(this.key, counter.next(last), sealed);
        if (!plain) throw await this.mapError(new PayloadError(`payload chunk ${k} failed authentication`));
        if (last && plain.length === 0 && k > 0)
          throw await this.mapError(new PayloadError("the final chunk is empty"));
        yield k === first ? plain.subarray(from - first * CHUNK) : plain;
      }
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
