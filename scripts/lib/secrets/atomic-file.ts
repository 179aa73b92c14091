import { randomBytes } from "node:crypto";
import { chown, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replace `path` atomically: write a temp file in the same directory (mode 0600, fsynced), give it the
 * owner of the file it replaces (or of `ownerOf`), then rename over. Readers see the old or the new file,
 * never a partial one; a crash leaves at most a hidden temp file.
 */
export async function replaceFile(path: string, body: string, ownerOf?: string): Promise<void> {
  const owner =
    (await stat(path).catch(() => null)) ?? (ownerOf ? await stat(ownerOf).catch(() => null) : null);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(body, "utf8");
    await fh.chmod(0o600);
    if (owner && (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.()))
      await chown(tmp, owner.uid, owner.gid);
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function readIfExists(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
}
