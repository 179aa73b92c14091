/**
 * The age v1 payload (STREAM): key = HKDF-SHA256(file key, salt = 16-byte nonce, "payload"); 64 KiB plaintext
 * chunks, each ChaCha20-Poly1305 under nonce = 11-byte big-endian counter ‖ last-chunk flag. The last chunk
 * is only known at end of input, so one chunk is always held back. node:crypto (OpenSSL) does the cipher.
 * Encryption joins ciphertext and tags into ~256 KiB pushes (16-byte tags must not travel alone downstream);
 * decryption pushes each opened 64 KiB chunk as it is (a join would only add a copy: ~18% more CPU).
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomFillSync,
} from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

export const CHUNK = 64 * 1024;
export const TAG = 16;
const BATCH = 256 * 1024;
const ALGORITHM = "chacha20-poly1305";

/** A fresh payload nonce and the payload key it derives; the raw key bytes are zeroed once wrapped. */
export function payloadKey(fileKey: Uint8Array, nonce: Buffer = randomFillSync(Buffer.alloc(16))) {
  const raw = Buffer.from(hkdfSync("sha256", fileKey, nonce, "payload", 32));
  const key = createSecretKey(raw);
  raw.fill(0);
  return { nonce, key };
}

/** Thrown when the payload does not authenticate or is cut; the message is shown to the user. */
export class PayloadError extends Error {}

/**
 * Cuts arbitrary writes into fixed-size records, handing one out only once more data follows it. Full
 * records are passed straight from the input when aligned; only remainders are copied into one reused buffer.
 */
class Chunker {
  private readonly size: number;
  private readonly buf: Buffer;
  private len = 0;
  constructor(size: number) {
    this.size = size;
    this.buf = Buffer.allocUnsafe(size);
  }

  write(data: Buffer, each: (record: Buffer) => void): void {
    let off = 0;
    while (off < data.length) {
      if (this.len === this.size) {
        each(this.buf);
        this.len = 0;
      }
      if (this.len === 0 && data.length - off > this.size) {
        each(data.subarray(off, off + this.size));
        off += this.size;
        continue;
      }
      const n = Math.min(this.size - this.len, data.length - off);
      data.copy(this.buf, this.len, off, off + n);
      this.len += n;
      off += n;
    }
  }

  /** What is held back: the last record (possibly short or empty). */
  rest(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  wipe(): void {
    this.buf.fill(0);
    this.len = 0;
  }
}

/** Ciphertext and tags gathered until a batch is worth a push. */
class Batch {
  private parts: Buffer[] = [];
  private bytes = 0;
  add(part: Buffer): void {
    this.parts.push(part);
    this.bytes += part.length;
  }
  take(force: boolean): Buffer | null {
    if (this.bytes === 0 || (!force && this.bytes < BATCH)) return null;
    const out = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return out;
  }
}

/** Per-chunk nonces: counter in bytes 0..10 (we use the low 48 bits), flag in byte 11. */
export class Counter {
  readonly nonce = Buffer.alloc(12);
  count = 0;
  next(last: boolean): Buffer {
    this.nonce.writeUIntBE(this.count, 5, 6);
    this.nonce[11] = last ? 1 : 0;
    return this.nonce;
  }
}

/** Encrypting Transform: writes `prefix` (header and nonce) first, then the sealed chunks. */
export class SealStream extends Transform {
  private readonly chunker = new Chunker(CHUNK);
  private readonly batch = new Batch();
  private readonly counter = new Counter();
  private readonly seal = (plain: Buffer) => this.sealChunk(plain, false);
  private readonly key: KeyObject;

  constructor(prefix: Buffer, key: KeyObject) {
    super();
    this.key = key;
    this.batch.add(prefix);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.chunker.write(chunk, this.seal);
    this.pushBatch(false);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // Empty input is one empty final chunk; otherwise the held-back chunk is non-empty.
    this.sealChunk(this.chunker.rest(), true);
    this.chunker.wipe();
    this.pushBatch(true);
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.chunker.wipe();
    callback(err);
  }

  private sealChunk(plain: Buffer, last: boolean): void {
    const cipher = createCipheriv(ALGORITHM, this.key, this.counter.next(last), { authTagLength: TAG });
    this.batch.add(cipher.update(plain));
    cipher.final();
    this.batch.add(cipher.getAuthTag());
    this.counter.count++;
  }

  private pushBatch(force: boolean): void {
    const out = this.batch.take(force);
    if (out) this.push(out);
  }
}

/**
 * Decrypts a payload written to it piecewise; `write` and `end` return the plaintext chunks opened. They
 * are pushed as they are: each is already a fresh 64 KiB buffer, and joining them would only add a copy.
 * Refuses a failed tag, a truncated file, a non-final empty chunk and data after the final chunk.
 */
export class PayloadOpener {
  private readonly chunker = new Chunker(CHUNK + TAG);
  private readonly counter = new Counter();
  private opened: Buffer[] = [];
  private readonly openNext = (sealed: Buffer) => {
    const plain = this.open(sealed, false);
    if (plain) this.opened.push(plain);
    else if (this.open(sealed, true)) throw new PayloadError("trailing data after the final chunk");
    else throw new PayloadError(`payload chunk ${this.counter.count} failed authentication`);
    this.counter.count++;
  };

  private readonly key: KeyObject;
  constructor(key: KeyObject) {
    this.key = key;
  }

  write(data: Buffer): Buffer[] {
    this.chunker.write(data, this.openNext);
    const out = this.opened;
    this.opened = [];
    return out;
  }

  end(): Buffer[] {
    const sealed = this.chunker.rest();
    if (sealed.length === 0) throw new PayloadError("truncated: the payload is missing");
    const plain = this.open(sealed, true);
    if (!plain) {
      if (this.open(sealed, false)) throw new PayloadError("truncated: the file ends before its final chunk");
      throw new PayloadError(
        `payload chunk ${this.counter.count} failed authentication (corrupt or truncated)`,
      );
    }
    if (plain.length === 0 && this.counter.count > 0) throw new PayloadError("the final chunk is empty");
    return plain.length > 0 ? [plain] : [];
  }

  wipe(): void {
    this.chunker.wipe();
  }

  private open(sealed: Buffer, last: boolean): Buffer | null {
    return openChunk(this.key, this.counter.next(last), sealed);
  }
}

/** One sealed chunk's plaintext, or null when its tag does not verify (the unverified output is discarded). */
export function openChunk(key: KeyObject, nonce: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length < TAG) return null;
  const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG));
  try {
    decipher.final();
    return plain;
  } catch {
    return null;
  }
}
