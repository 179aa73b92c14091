import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { UserError } from "../../../posture/errors.ts";
import type { Logger } from "../log.ts";
import { formatBytes } from "../output.ts";
import type { ConnInfo } from "../pg/conninfo.ts";
import { type AheadBlock, checkedBlock } from "./ahead-block.ts";
import { type ArchiveFile, type BlockInfo, writeAll } from "./archive-file.ts";
import { SECTION, type Toc, type TocEntry } from "./archive-scan.ts";
import { EarlyPostData, earlyPostData } from "./early-post-data.ts";
import {
  commonArgs,
  defaultJobs,
  type PgRestoreOptions,
  type PgRestoreRun,
  startPgRestore,
} from "./pg-restore.ts";
import type { RestoreProgress } from "./progress.ts";
import { splitQualified } from "./qualified-name.ts";

/** Decoded blocks restored by one pg_restore, up to this many bytes (each process re-reads the TOC). */
const BATCH_BYTES = 64 << 20;
/** TOC entries that are privileges (pg_restore restores them in a final pass, RESTORE_PASS_ACL). */
const ACL_DESCS = new Set(["ACL", "DEFAULT ACL"]);

/**
 * Restore while the archive is still being decoded, with the same pg_restore, in its documented sections:
 *   pre-data   as soon as the TOC is on disk (from a TOC-only copy of the archive: it needs no data),
 *              `-L` listing the pre-data section's entries (pg_restore --section's rule) but privileges;
 *   data       `pg_restore -L <its entries>` per table (small decoded tables share one), at most `jobs` at
 *              once, biggest first: from the file when the block is already on disk, else streamed to
 *              it on stdin; the block being decoded goes straight from the decoder (direct-block.ts),
 *              which then runs at that COPY's pace and lets another lane load what is on disk, until a
 *              lane waits for blocks behind it; with a seek index, the largest table's lane starts right
 *              after pre-data and reads its block from a decoder of its own (ahead-block.ts);
 *   post-data  a table's indexes and keys (early-post-data.ts) in a free lane as soon as its data is in,
 *              as pg_restore --jobs does; the rest of the section and all privileges (foreign keys,
 *              triggers, matview refreshes, ACLs) with `pg_restore --jobs -L` once all data is in.
 * Together the three sections are everything pg_restore restores by default. Every pg_restore runs with
 * --exit-on-error; the first failure stops all of them. Not used with --clean (dropping needs the whole
 * archive's order): restoreBackup then decodes first and runs one pg_restore --jobs on the file.
 */
export class SectionedRestore {
  /** Settles when the restore is done or failed; started once the TOC arrived. */
  readonly done: Promise<void>;
  started = false;
  /** When the first pg_restore started (performance.now()). */
  startedAt = 0;
  private resolve!: () => void;
  private reject!: (e: unknown) => void;
  private failed = false;
  private readonly running = new Set<PgRestoreRun>();
  private readonly stderr: string[] = [];
  /** Data entries not yet given to a pg_restore, most rows first (pg_restore --jobs: largest first). */
  private pending: number[] = [];
  private readonly jobs: number;
  private lanes = 0;
  /** pg_restores of data entries without blocks, outside the lane count. */
  private side = 0;
  private preDataDone = false;
  private postDataStarted = false;
  private dataEntries = new Set<number>();
  private postData: number[] = [];
  /** Set in start(), from the TOC. */
  private early: EarlyPostData | null = null;
  private readonly tableRows = new Map<string, number>();
  private tocPath = "";
  private lists = 0;
  private readonly file: ArchiveFile;
  private readonly dir: string;
  private readonly target: ConnInfo;
  private readonly opts: PgRestoreOptions;
  private readonly log: Logger;
  /** The largest table, decoded by its own lane ahead of the archive (ahead-block.ts); null once it runs. */
  private ahead: AheadBlock | null;
  private aheadRunning = false;
  /** Data entries whose pg_restore has finished. */
  private loadedEntries = 0;

  /**
   * `tables`: the backup's row count per table (manifest.tables, keys `quote_ident(schema).quote_ident(name)`)
   * to restore the biggest first; without it, archive order.
   */
  constructor(
    file: ArchiveFile,
    dir: string,
    target: ConnInfo,
    opts: PgRestoreOptions & { tables?: Record<string, number>; ahead?: AheadBlock },
    log: Logger,
  ) {
    this.file = file;
    for (const [key, n] of Object.entries(opts.tables ?? {})) {
      const name = splitQualified(key);
      if (name) this.tableRows.set(`${name[0]}\u0000${name[1]}`, n);
    }
    this.log = log;
    this.dir = dir;
    this.target = target;
    this.opts = opts;
    this.jobs = opts.jobs ?? defaultJobs();
    this.ahead = opts.ahead ?? null;
    this.done = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.done.catch(() => {}); // observed by the caller once decoding is over
    file.once("toc", (toc: Toc, prefix: Buffer) => this.start(toc, prefix));
    file.setMaxListeners(0); // every waiting feeder listens for "progress"
    file.on("block", (b: BlockInfo) => {
      if (!this.started) return;
      if (!this.dataEntries.has(b.dumpId))
        return this.fail(
          new UserError(`the decoded archive has data for TOC entry ${b.dumpId}, which is not table data`, {
            hint: "restore it with stock tools to see pg_restore's own error (BACKUP.md)",
          }),
        );
      this.schedule();
    });
    file.on("progress", () => this.schedule());
    const seeking = !!opts.ahead;
    file.once("scan-error", (e: Error) => {
      if (this.started)
        this.fail(
          new UserError(`the decoded archive is malformed: ${e.message}`, {
            hint: [
              ...(seeking
                ? [
                    "the backup's seek index may not match its archive: `rampart restore --to-file` does not use it",
                  ]
                : []),
              "restore it with stock tools to see pg_restore's own error (BACKUP.md)",
            ],
          }),
        );
    });
  }

  /** Stop everything (decoding failed, or another pg_restore did). */
  fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    for (const run of this.running) run.child.kill("SIGTERM");
    this.file.stop(); // and the feeds with them
    this.reject(err);
  }

  /** How far the restore is, for progress lines: table data loaded of all, and whether post-data runs. */
  get progress(): NonNullable<RestoreProgress["tables"]> {
    return { loaded: this.loadedEntries, tables: this.dataEntries.size, postData: this.postDataStarted };
  }

  /** Warnings pg_restore printed (exit 0), for the caller to pass on; empty when there were none. */
  get warnings(): string {
    return this.stderr.join("");
  }

  private start(toc: Toc, prefix: Buffer): void {
    this.started = true;
    this.startedAt = performance.now();
    this.tocPath = join(this.dir, "toc.pgc");
    // Privileges last, as in a whole-archive restore: an ACL entry follows its object in the TOC (so
    // --section=pre-data would grant and revoke before the data is loaded).
    const acl = (e: TocEntry) => ACL_DESCS.has(e.desc);
    const ids = (keep: (e: TocEntry) => boolean) => toc.entries.filter(keep).map((e) => e.dumpId);
    const pre = ids((e) => e.section === SECTION.preData && !acl(e));
    this.postData = ids((e) => e.section === SECTION.postData || acl(e));
    const data = toc.entries.filter((e) => e.section === SECTION.data && !acl(e));
    const withData = data.filter((e) => e.hadDumper);
    this.dataEntries = new Set(withData.map((e) => e.dumpId));
    this.early = new EarlyPostData(earlyPostData(toc.entries, this.dataEntries));
    const rows = (e: TocEntry) => this.tableRows.get(`${e.namespace}\u0000${e.tag}`) ?? 0;
    this.pending = withData.sort((a, b) => rows(b) - rows(a)).map((e) => e.dumpId); // stable: else archive order
    const ahead = this.ahead;
    if (ahead && !this.dataEntries.has(ahead.block.dumpId)) {
      this.fail(
        new UserError(
          `the backup's seek index names TOC entry ${ahead.block.dumpId}, which has no table data`,
          {
            hint: "restore with `rampart restore --to-file` and pg_restore (no index used), or with stock tools (BACKUP.md)",
          },
        ),
      );
      return;
    }
    this.pending = this.pending.filter((id) => id !== ahead?.block.dumpId);
    const other = data.filter((e) => !e.hadDumper).map((e) => e.dumpId); // sequence values and the like
    this.track(
      writeFile(this.tocPath, prefix, { mode: 0o600 }).then(async () => {
        const preList = await this.list(pre);
        await this.run("pre-data", ["-L", preList, this.tocPath]);
        this.preDataDone = true;
        this.startAhead(toc, prefix);
        if (other.length) {
          // Statements only (setval and the like): quick, so beside the lanes rather than in one.
          this.side++;
          this.track(
            this.list(other)
              .then((l) => this.run(`data without blocks (${other.length})`, ["-L", l, this.tocPath]))
              .finally(() => {
                this.side--;
                this.schedule();
              }),
          );
        }
        this.schedule();
      }),
    );
  }

  private track(p: Promise<unknown>): void {
    p.catch((e) => this.fail(e));
  }

  /** pg_restore `args` (after the common flags); `feed` writes the archive to its stdin. */
  private run(
    label: string | (() => string),
    args: string[],
    feed?: (stdin: Writable) => Promise<void>,
  ): Promise<void> {
    if (this.failed) return Promise.reject(new Error("restore stopped"));
    const run = startPgRestore([...commonArgs(this.target, this.opts), ...args], this.target, !!feed);
    this.running.add(run); // fail() stops every one still running
    const t = performance.now();
    run.done.then(
      () =>
        this.log.debug(
          `pg_restore ${typeof label === "string" ? label : label()}: ${Math.round(performance.now() - t)} ms`,
        ),
      () => {},
    );
    if (feed && run.child.stdin) {
      const stdin = run.child.stdin;
      stdin.on("error", () => {}); // EPIPE when pg_restore exits early: its own exit status says why
      // A failed feed cuts pg_restore's input: it then fails with its own message, which is the one to show.
      feed(stdin).then(
        () => stdin.end(),
        () => stdin.destroy(),
      );
    }
    return run.done.then(
      (err) => {
        this.running.delete(run);
        if (err.trim()) this.stderr.push(err);
      },
      (e) => {
        this.running.delete(run);
        throw e;
      },
    );
  }

  private async list(ids: number[]): Promise<string> {
    const path = join(this.dir, `list-${this.lists++}.txt`);
    await writeFile(path, ids.map((id) => `${id};\n`).join(""), { mode: 0o600 });
    return path;
  }

  /** Data of these entries is in: their indexes and keys may be built. */
  private loaded(ids: number[]): void {
    this.loadedEntries += ids.length;
    for (const id of ids) this.early?.loaded(id);
  }

  private laneDone(n = 1): void {
    this.lanes -= n;
    this.schedule();
  }

  /**
   * Lanes now: while decoding at full speed, one core stays with the decoder that feeds the lanes. A
   * decoder held to a COPY's pace (a direct or ahead block) leaves it free.
   */
  private laneLimit(): number {
    const paced = this.file.finished || this.file.streamingDirect || this.aheadRunning;
    return paced ? this.jobs : Math.max(1, this.jobs - 1);
  }

  /** The ahead block's lane: its pg_restore reads the TOC, then the block straight from its own decoder. */
  private startAhead(toc: Toc, prefix: Buffer): void {
    const ahead = this.ahead;
    if (!ahead) return;
    this.ahead = null;
    this.aheadRunning = true;
    this.lanes++;
    const { dumpId } = ahead.block;
    let sent = 0;
    const feed = async (stdin: Writable) => {
      await writeAll(stdin, prefix);
      const bytes = checkedBlock(toc, ahead.block, ahead.bytes())[Symbol.asyncIterator]();
      try {
        for (;;) {
          let next: IteratorResult<Buffer>;
          try {
            next = await bytes.next();
          } catch (e) {
            this.fail(e); // decoding or the check failed: that is the cause, not pg_restore's cut input
            throw e;
          }
          if (next.done || this.failed) break;
          // A failed write means pg_restore exited: its own exit status says why (run()).
          await writeAll(stdin, next.value);
          sent += next.value.length;
        }
      } finally {
        await bytes.return?.(undefined); // stops the decoder when pg_restore stopped reading
      }
    };
    this.track(
      this.list([dumpId])
        .then((l) =>
          this.run(() => `data of the largest table, decoded ahead (${formatBytes(sent)})`, ["-L", l], feed),
        )
        .then(() => this.loaded([dumpId]))
        .finally(() => {
          this.aheadRunning = false;
          this.laneDone();
        }),
    );
  }

  /** The next data to load: the biggest table, or while the decoder is held back, one already on disk. */
  private nextBlock(): BlockInfo | undefined {
    // The biggest table first, even if that means waiting for its block to start arriving: it is the
    // critical path (its COPY, then its indexes); smaller ones fit in beside it.
    const first = this.file.blocks.get(this.pending[0] as number);
    if (first || !this.file.streamingDirect) return first;
    // The decoder goes at a lane's pace: blocks behind it are far off, those on disk are not.
    for (const id of this.pending) {
      const b = this.file.blocks.get(id);
      if (b?.end != null) return b;
    }
    return undefined;
  }

  /** Start data lanes while there are free jobs and blocks on disk; post-data once all data is in. */
  private schedule(): void {
    if (this.failed || !this.preDataDone) return;
    while (this.lanes < this.laneLimit() && this.pending.length) {
      const first = this.nextBlock();
      if (!first) break;
      const batch = [first];
      let bytes = blockBytes(first);
      // Blocks already decoded go together, so ten thousand small tables do not mean as many processes.
      if (first.end !== null)
        for (const id of this.pending) {
          const b = this.file.blocks.get(id);
          if (!b || b === first || b.end === null || bytes + blockBytes(b) > BATCH_BYTES) continue;
          bytes += blockBytes(b);
          batch.push(b);
        }
      const taken = new Set(batch.map((b) => b.dumpId));
      this.pending = this.pending.filter((id) => !taken.has(id));
      batch.sort((a, b) => a.at - b.at); // archive order: a pipe cannot seek back
      // Blocks wholly on disk: pg_restore seeks to them in the file itself (their TOC offsets are written).
      // Otherwise streamed to it through stdin as they are decoded: straight from the decoder if the
      // block is the one being decoded (direct-block.ts), else relayed from the disk.
      const onDisk = this.file.fileWith(batch);
      const direct = onDisk ? null : this.file.streamDirect(first);
      this.lanes++;
      this.track(
        this.list(batch.map((b) => b.dumpId))
          .then((l) => {
            const label = () => {
              const how = onDisk ? "from the file" : "streamed";
              const straight = direct?.sent ? ` (${formatBytes(direct.sent)} straight from the decoder)` : "";
              return `data of ${batch.length} table(s), ${how}${straight}`;
            };
            return onDisk
              ? this.run(label, ["-L", l, onDisk])
              : this.run(label, ["-L", l], (stdin) => this.file.feed(stdin, batch));
          })
          .then(() => this.loaded(batch.map((b) => b.dumpId)))
          .finally(() => this.laneDone()),
      );
    }
    // A lane is free but what it would load is behind the direct block: let the decoder run ahead. Often
    // in the pass that handed the block over (nothing else on disk to load): it is then relayed as before.
    if (this.file.streamingDirect && this.pending.length && this.lanes < this.laneLimit())
      this.file.releaseDirect();
    // All data handed out: free lanes build the indexes and keys of the tables already in.
    const jobs = this.laneLimit();
    if (!this.pending.length && this.lanes < jobs) {
      const ready = this.early?.take() ?? [];
      if (ready.length) {
        const taken = new Set(ready);
        this.postData = this.postData.filter((id) => !taken.has(id));
        const n = Math.min(jobs - this.lanes, ready.length);
        this.lanes += n;
        this.track(
          this.list(ready)
            .then((l) =>
              this.run(`indexes and keys of loaded tables (${ready.length}) --jobs=${n}`, [
                `--jobs=${n}`,
                "-L",
                l,
                this.tocPath,
              ]),
            )
            .finally(() => this.laneDone(n)),
        );
      }
    }
    const dataDone = this.lanes === 0 && this.side === 0 && this.pending.length === 0;
    if (this.file.finished && dataDone && !this.postDataStarted) {
      this.postDataStarted = true;
      const missing = [...this.dataEntries].filter((id) => !this.file.blocks.has(id));
      if (missing.length) {
        this.fail(
          new UserError(`the decoded archive has no data for TOC entries ${missing.join(", ")}`, {
            hint: "the backup is incomplete; restore an older backup",
          }),
        );
        return;
      }
      this.track(
        this.list(this.postData)
          .then((l) =>
            this.run(`post-data --jobs=${this.jobs}`, [`--jobs=${this.jobs}`, "-L", l, this.tocPath]),
          )
          .then(() => this.resolve()),
      );
    }
  }

  /** Release what the feeds opened; call once done settled. */
  async close(): Promise<void> {
    await this.file.release();
  }
}

const blockBytes = (b: BlockInfo) => (b.end ?? b.at) - b.at;
