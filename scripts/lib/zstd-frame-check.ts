/**
 * Structural check of one zstd frame (RFC 8878 §3.1.1) against the input it was made from: the magic
 * number, the recorded content size, and a walk over the block headers that must end exactly at the
 * frame's last byte (after the checksum, when there is one). It reads a few bytes per 128 KiB block, so it
 * is cheap enough to run on every frame of every backup: bytes lost, duplicated or misplaced between
 * frames are then a failed backup, never a stored one that cannot be decompressed.
 * Returns what is wrong, or null when the frame is sound.
 */
export function frameProblem(frame: Buffer, contentBytes: number): string | null {
  if (frame.length < 6) return `only ${frame.length} bytes`;
  if (frame.readUInt32LE(0) !== 0xfd2fb528) return "no zstd magic number at its start";
  const descriptor = frame[4] as number;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const hasChecksum = (descriptor >> 2) & 1;
  const dictBytes = [0, 1, 2, 4][descriptor & 3] as number;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag] as number;
  let at = 5 + (singleSegment ? 0 : 1) + dictBytes;
  if (fcsBytes === 0) return "no content size in its header";
  if (at + fcsBytes > frame.length) return "header longer than the frame";
  const size =
    fcsBytes === 1
      ? (frame[at] as number)
      : fcsBytes === 2
        ? frame.readUInt16LE(at) + 256
        : fcsBytes === 4
          ? frame.readUInt32LE(at)
          : Number(frame.readBigUInt64LE(at));
  if (size !== contentBytes) return `header says ${size} content bytes, the input had ${contentBytes}`;
  at += fcsBytes;
  for (;;) {
    if (at + 3 > frame.length) return `ends inside a block header at byte ${at}`;
    const header = frame.readUIntLE(at, 3);
    const type = (header >> 1) & 3;
    if (type === 3) return `reserved block type at byte ${at}`;
    at += 3 + (type === 1 ? 1 : header >> 3);
    if (header & 1) break; // Last_Block
  }
  at += hasChecksum ? 4 : 0;
  if (at !== frame.length) return `blocks end at byte ${at} of ${frame.length}`;
  return null;
}
