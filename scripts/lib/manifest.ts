import { z } from "zod";

/**
 * Backup layout under the backups store root:
 *   <id>/dump.pgc.zst.age   pg_dump custom format → compression (.zst/.gz/none) → age (the name says what is inside)
 *   <id>/manifest.json      written LAST, only after the dump object is complete and verified
 * A backup without a manifest does not exist: list, restore and retention ignore it.
 */
export const MANIFEST_VERSION = 1;

const offset = z.number().int().nonnegative();
/** A zstd frame: where its input starts in the archive, and where it starts in the compressed stream. */
const frameRef = z.object({ raw: offset, compressed: offset });

export const manifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  /** Sortable and unique: 20261121T040012Z-<database>-<4 hex>. */
  id: z.string().regex(/^\d{8}T\d{6}Z-[A-Za-z0-9_.-]+$/),
  stack: z.string(),
  database: z.string(),
  /** The source cluster (restore refuses to write over it without --force-source). Absent in older backups. */
  source: z
    .object({
      /** pg_control_system().system_identifier; null when the backup role may not read it. */
      systemIdentifier: z.string().nullable(),
      database: z.string(),
      host: z.string().nullable(),
      port: z.number().int().nullable(),
    })
    .optional(),
  serverVersion: z.string(),
  pgDumpVersion: z.string(),
  /** When the exported snapshot was taken (server clock): the data's point in time, RPO is measured from it. */
  snapshotTime: z.string().datetime(),
  startedAt: z.string().datetime(),
  finishedAt: z.string().datetime(),
  /** Object key of the dump, relative to the store root. */
  object: z.string(),
  /** Bytes produced by pg_dump (before compression). */
  rawBytes: z.number().int().positive(),
  /** Bytes of the stored (compressed + encrypted) object. */
  storedBytes: z.number().int().positive(),
  /** SHA-256 (hex) of the stored object: verified before any decryption. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  compression: z.object({ algorithm: z.enum(["zstd", "gzip", "none"]), level: z.number().int() }),
  encryption: z.object({
    format: z.literal("age-v1"),
    /** The recipients (public keys) the object was encrypted to, and their SHA-256 fingerprints. */
    recipients: z.array(z.object({ recipient: z.string(), fingerprint: z.string() })),
  }),
  /**
   * Where the largest tables' data blocks lie (zstd backups; absent in older ones and when the archive
   * could not be followed): archive bytes [at, end) of TOC entry dumpId decode on their own from frame
   * `from`, and decoding after the block resumes at frame `resume`. A restore loads these tables first.
   */
  seek: z
    .object({
      blocks: z.array(
        z.object({
          dumpId: z.number().int().positive(),
          at: offset,
          end: offset,
          from: frameRef,
          resume: frameRef,
        }),
      ),
    })
    .optional(),
  /** schema.table → exact row count in the snapshot: its data block's rows in the dump, else count(*) (BACKUP.md). */
  tables: z.record(z.string(), z.number().int().nonnegative()),
  tool: z.object({ name: z.literal("rampart"), version: z.string() }),
});
export type Manifest = z.infer<typeof manifestSchema>;

const EXTENSION = { zstd: ".zst", gzip: ".gz", none: "" } as const;
/** The object's name says what is inside, outermost layer last: pg custom format, compression, age. */
export const dumpKey = (id: string, algorithm: keyof typeof EXTENSION = "zstd") =>
  `${id}/dump.pgc${EXTENSION[algorithm]}.age`;
export const manifestKey = (id: string) => `${id}/manifest.json`;
export const isManifestKey = (key: string) => /^[^/]+\/manifest\.json$/.test(key);
