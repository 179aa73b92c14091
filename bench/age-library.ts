// The previous age implementation (the age-encryption library: pure-JS ChaCha20 behind web streams) as a
// Node Duplex, for old-vs-native comparisons in the benches.

import { Duplex, Readable, Writable } from "node:stream";
import { Decrypter, Encrypter } from "age-encryption";

/**
 * The previous implementation: the library's web-stream encrypt/decrypt, bridged to a Node Duplex. The web
 * side starts at once (decrypt reads the header from what we write before it returns its output stream).
 */
export async function libraryDuplex(
  run: (input: ReadableStream<Uint8Array>) => Promise<ReadableStream<Uint8Array>>,
) {
  const inbound = new TransformStream<Uint8Array, Uint8Array>();
  const started = run(inbound.readable);
  const writable = Writable.fromWeb(inbound.writable as Parameters<typeof Writable.fromWeb>[0]);
  const readable = Readable.from(
    (async function* () {
      const reader = (await started).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    })(),
  );
  return Duplex.from({ writable, readable });
}

/** The library's encryption to `recipient`, as a Duplex. */
export function libraryEncrypt(recipient: string): Promise<Duplex> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return libraryDuplex((input) => e.encrypt(input));
}

/** The library's decryption with `identity`, as a Duplex. */
export function libraryDecrypt(identity: string): Promise<Duplex> {
  const d = new Decrypter();
  d.addIdentity(identity);
  return libraryDuplex((input) => d.decrypt(input));
}
