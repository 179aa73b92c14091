import { UserError } from "../../../posture/errors.ts";
import type { SeekBlock } from "../backup/seek-index.ts";
import { ArchiveScanner, type Toc, Unsupported } from "./archive-scan.ts";

/**
 * A table's data block decoded by its own lane, ahead of the rest of the archive (the manifest's seek
 * index names it; restoreBackup decodes the archive around it).
 */
export type AheadBlock = { block: SeekBlock; bytes: () => AsyncIterable<Buffer> };

/**
 * `bytes`, checked on the way to pg_restore to be exactly one data block of the entry the seek index
 * names: its header at `at`, its end at `end`. A manifest whose index does not match its archive fails
 * the restore with a way out, instead of feeding pg_restore something else.
 */
export async function* checkedBlock(
  toc: Toc,
  b: SeekBlock,
  bytes: AsyncIterable<Buffer>,
): AsyncGenerator<Buffer> {
  const problems: string[] = [];
  let ended = false;
  const scanner = new ArchiveScanner({
    toc: () => {},
    blockStart: (dumpId, at) => {
      if (dumpId !== b.dumpId || at !== b.at)
        problems.push(`found the data of entry ${dumpId} at byte ${at}`);
    },
    blockEnd: (_dumpId, end) => {
      if (end !== b.end) problems.push(`its data ends at byte ${end}, not ${b.end}`);
      ended = true;
    },
  });
  scanner.resume(toc, b.at);
  const check = (step: () => void) => {
    try {
      step();
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      problems.push(e.message);
    }
    if (problems.length) throw mismatch(b, problems);
  };
  for await (const chunk of bytes) {
    check(() => scanner.push(chunk));
    yield chunk;
  }
  check(() => {
    scanner.end();
    if (!ended) problems.push("its data block does not end");
  });
}

function mismatch(b: SeekBlock, problems: string[]): UserError {
  return new UserError(
    `the backup's seek index does not match its archive: TOC entry ${b.dumpId} (bytes ${b.at}..${b.end}): ${problems[0]}`,
    {
      hint: [
        "the manifest's `seek` field is wrong, the archive itself verified (sha256, age)",
        "restore with `rampart restore --to-file` and pg_restore (no index used), or with stock tools (BACKUP.md)",
      ],
    },
  );
}
