import v8 from "node:v8";
import vm from "node:vm";

type Collect = () => void;

let youngCollector: Collect | undefined;

/**
 * A young-generation collection (scavenge), made callable without `node --expose-gc` (the idiom Jest uses
 * for --logHeapUsage). Cheap: the streams' buffers die young, so little survives to be copied.
 */
function collectYoung(): void {
  if (!youngCollector) {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as (o: { type: "minor"; execution: "sync" }) => void;
    youngCollector = () => gc({ type: "minor", execution: "sync" });
  }
  youngCollector();
}

/**
 * Frees the buffers a byte stream leaves behind, every `everyBytes` bytes. Why: each read from pg_dump's
 * pipe (or a decompressor) is a fresh off-heap buffer behind a tiny JS object. The JS heap barely grows,
 * so V8 collects late — only once ~64 MB of such memory has piled up — and a backup then peaked at
 * 180–215 MB RSS. Scavenging every 8 MiB kept it at ~150 MB, with no measurable CPU cost (bench/backup.ts).
 */
export class GarbagePacer {
  private sinceLast = 0;
  private readonly everyBytes: number;
  private readonly collect: Collect;

  constructor(everyBytes = 8 * 1024 * 1024, collect: Collect = collectYoung) {
    this.everyBytes = everyBytes;
    this.collect = collect;
  }

  /** Count `bytes` more; collect when another `everyBytes` have passed. */
  add(bytes: number): void {
    this.sinceLast += bytes;
    if (this.sinceLast < this.everyBytes) return;
    this.sinceLast = 0;
    this.collect();
  }
}
