// Push buffers through stream stages (compressors, age) and collect what comes out.
import { type Duplex, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** `chunks` (split as the caller likes, to cross chunk boundaries) through `stages`; the output, joined. */
export async function pipeThrough(chunks: Buffer[], ...stages: Duplex[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  await pipeline([Readable.from(chunks), ...stages, sink]);
  return Buffer.concat(out);
}
