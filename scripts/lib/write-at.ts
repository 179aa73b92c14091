import type { FileHandle } from "node:fs/promises";

/** Write all of `chunks`, in order, at `position`: a positional write may take less than it was given. */
export async function writeAt(fh: FileHandle, chunks: readonly Buffer[], position: number): Promise<void> {
  let rest = chunks.filter((c) => c.length > 0);
  for (let at = position; rest.length; ) {
    const { bytesWritten } = await fh.writev(rest, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const left: Buffer[] = [];
    for (const c of rest) {
      if (skip >= c.length) skip -= c.length;
      else {
        left.push(skip ? c.subarray(skip) : c);
        skip = 0;
      }
    }
    rest = left;
  }
}
