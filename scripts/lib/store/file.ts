import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { UserError } from "../../../posture/errors.ts";
import type { DeleteResult, GetOptions, ObjectInfo, PutOptions, PutResult, Store } from "./types.ts";

/**
 * file:///path store. Writes go to a hidden temp file in the same directory and are renamed into place
 * after fsync-on-close, so a failed or aborted put never leaves a partial object under its real name.
 */
export class FileStore implements Store {
  readonly url: string;
  readonly root: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, "");
    this.root = fileURLToPath(this.url);
  }

  private path(key: string): string {
    const p = join(this.root, key);
    if (relative(this.root, p).startsWith("..") || key.startsWith("/"))
      throw new UserError(`refusing object key outside the store: ${JSON.stringify(key)}`);
    return p;
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<PutResult> {
    const dest = this.path(key);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = join(
      dirname(dest),
      `.${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2)}.partial`,
    );
    let bytes = 0;
    body.on("data", (c: Buffer) => {
      bytes += c.length;
      opts.onProgress?.(bytes);
    });
    try {
      await pipeline(
        body,
        createWriteStream(tmp, { flush: true }),
        opts.signal ? { signal: opts.signal } : {},
      );
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { key, bytes };
  }

  async putBytes(key: string, body: Uint8Array | string): Promise<PutResult> {
    const dest = this.path(key);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.${process.pid}.partial`;
    await writeFile(tmp, body, { flush: true });
    await rename(tmp, dest);
    return { key, bytes: typeof body === "string" ? Buffer.byteLength(body) : body.byteLength };
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const p = this.path(key);
    await stat(p).catch(() => {
      throw new UserError(`no such object: ${this.url}/${key}`);
    });
    return createReadStream(p, { start: opts.start ?? 0 });
  }

  async getBytes(key: string): Promise<Buffer> {
    return readFile(this.path(key)).catch(() => {
      throw new UserError(`no such object: ${this.url}/${key}`);
    });
  }

  async list(prefix = ""): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return [];
        throw e;
      });
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !e.name.endsWith(".partial")) {
          const key = relative(this.root, full).split(sep).join("/");
          if (!key.startsWith(prefix)) continue;
          const s = await stat(full);
          out.push({ key, size: s.size, lastModified: s.mtime });
        }
      }
    };
    await walk(this.root);
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      () => true,
      () => false,
    );
  }

  async delete(key: string): Promise<DeleteResult> {
    try {
      await rm(this.path(key));
      return { key, deleted: true };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return { key, deleted: false, reason: "missing", detail: "no such object" };
      if (code === "EACCES" || code === "EPERM")
        return { key, deleted: false, reason: "denied", detail: String(code) };
      throw e;
    }
  }
}
