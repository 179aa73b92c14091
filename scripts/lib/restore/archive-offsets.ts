import { type FileHandle, open } from "node:fs/promises";
import {
  ArchiveScanner,
  OFFSET_NOT_SET,
  OFFSET_SET,
  offsetField,
  type Toc,
  type TocEntry,
  Unsupported,
} from "./archive-scan.ts";

/**
 * `rampart backup` streams pg_dump to stdout, and a custom-format archive written to a pipe has no data
 * offsets in its table of contents (pg_dump can only seek back to fill them in when writing a file). Parallel
 * pg_restore then makes every worker skip through the data chunk by chunk to find its table — measured 1.4–1.9x
 * slower than the same archive with offsets (bench/restore.ts). This does what pg_dump does on a seekable
 * file: write each entry's offset into the TOC in place (fixed-size fields). Restores do it while decoding
 * (archive-file.ts, through writeOffsets); addDataOffsets is the same for an archive already on disk.
 * Archives it cannot follow are left untouched — pg_restore still works, only slower.
 */
export type OffsetResult = "patched" | "already" | "unsupported";

/** Point TOC entry `e` at its block (file position `at`) in place, unless it already has an offset. */
async function writeOffset(fh: FileHandle, toc: Toc, e: TocEntry, at: number): Promise<void> {
  if (e.offsetFlag !== OFFSET_NOT_SET) return;
  const field = offsetField(at, toc.offSize);
  await fh.write(field, 0, field.length, e.offsetAt);
  e.offsetFlag = OFFSET_SET;
}

/** Write the offsets of `blocks` into the TOC fields that lack one (`entries`: the TOC's, by dumpId). */
export async function writeOffsets(
  fh: FileHandle,
  toc: Toc,
  blocks: readonly { dumpId: number; at: number }[],
  entries: ReadonlyMap<number, TocEntry> = new Map(toc.entries.map((e) => [e.dumpId, e])),
): Promise<void> {
  for (const b of blocks) {
    const e = entries.get(b.dumpId);
    if (e) await writeOffset(fh, toc, e, b.at);
  }
}

const lacksOffsets = (toc: Toc) => toc.entries.some((e) => e.offsetFlag === OFFSET_NOT_SET);

export async function addDataOffsets(path: string): Promise<OffsetResult> {
  const fh = await open(path, "r+");
  try {
    let toc: Toc | null = null;
    const blocks: { dumpId: number; at: number }[] = [];
    const scanner = new ArchiveScanner({
      toc: (t) => (toc = t),
      blockStart: (dumpId, at) => blocks.push({ dumpId, at }),
      blockEnd() {},
    });
    for (let pos = 0; ; ) {
      const buf = Buffer.allocUnsafe(4 << 20); // fresh: the scanner keeps the TOC's buffers
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      scanner.push(buf.subarray(0, bytesRead));
      pos += bytesRead;
      // Nothing to patch: skip reading the data.
      if (toc && !lacksOffsets(toc)) return "already";
    }
    scanner.end();
    const found = toc as unknown as Toc;
    if (!lacksOffsets(found)) return "already";
    await writeOffsets(fh, found, blocks);
    return "patched";
  } catch (e) {
    if (e instanceof Unsupported) return "unsupported";
    throw e;
  } finally {
    await fh.close();
  }
}
