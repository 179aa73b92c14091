import { mkdtemp, rm } from "node:fs/promises";
import net, { type OnReadOpts, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../../posture/errors.ts";

export type StdoutChannel = {
  /** Give this to spawn() as the child's stdout, then destroy it (the child keeps its own copy). */
  childEnd: Socket;
  /** Our end, read with `onread`: reads land in buffers the caller supplies, no buffer per read. */
  reader: Socket;
};

/**
 * A connected stream-socket pair for a child process's stdout whose read end Node reads with `onread`
 * (child_process's own stdio pipes cannot take it). Made by connecting to a listener in a fresh private
 * directory (mode 0700: nobody else can connect first), which is removed as soon as the pair exists.
 */
export async function stdoutChannel(onread: OnReadOpts): Promise<StdoutChannel> {
  const dir = await mkdtemp(join(socketParent(), "rampart-dump-"));
  const server = net.createServer({ pauseOnConnect: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e) =>
        reject(
          new UserError(`cannot create the socket pg_dump writes to in ${dir}: ${e.message}`, {
            hint: "set TMPDIR to a short, writable directory (a socket path has at most 107 bytes)",
            cause: e,
          }),
        ),
      );
      server.listen(join(dir, "stdout.sock"), resolve);
    });
    const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
    const reader = net.connect({ path: join(dir, "stdout.sock"), onread });
    await new Promise<void>((resolve, reject) => {
      reader.once("connect", resolve);
      reader.once("error", reject);
    });
    return { childEnd: await accepted, reader };
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Longest socket path we make: Linux allows 107 bytes; ours adds "/rampart-dump-XXXXXX/stdout.sock". */
const SOCKET_PATH_MAX = 107;

/** The OS temp dir, or /tmp when a socket path under it would be too long (a deep $TMPDIR). */
function socketParent(): string {
  const dir = tmpdir();
  return join(dir, "rampart-dump-XXXXXX", "stdout.sock").length <= SOCKET_PATH_MAX ? dir : "/tmp";
}
