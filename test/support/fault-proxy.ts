// An HTTP proxy in front of a real emulator (moto, fake-gcs-server) that injects faults: transient and
// lasting errors, or requests held until the test lets them go. Real services with real failures, no mocks.
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";

/** Pass on; answer with an error; hold until the promise settles; or pass on and cut the response's
 * connection after `cutAfter` body bytes (a connection dropped mid-download), or with `stall` leave it
 * open and silent from there (a connection a NAT dropped without a word). */
export type Decision =
  | "pass"
  | { status: number; body?: string }
  | Promise<void>
  | { cutAfter: number; stall?: boolean };

export type FaultProxy = { endpoint: string; seen: string[]; close(): Promise<void> };

/**
 * HTTP proxy to `target` that asks `decide` about every request: pass it on, answer it with an error
 * (S3-style XML, after reading the request body), or hold it until a promise settles.
 * `seen` records "METHOD path?query" of each request.
 */
export async function faultProxy(
  target: string,
  decide: (req: IncomingMessage) => Decision,
): Promise<FaultProxy> {
  const seen: string[] = [];
  const t = new URL(target);
  const forward = (req: IncomingMessage, res: ServerResponse, cutAfter?: number, stall = false) => {
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        if (cutAfter === undefined) {
          r.pipe(res);
          return;
        }
        let sent = 0;
        const cut = () => {
          r.destroy();
          // Mid-body, the client sees the connection close (what was written still arrives first), or
          // with `stall`, nothing more at all.
          if (!stall) res.socket?.end();
        };
        if (cutAfter === 0) {
          res.flushHeaders(); // the headers, then nothing: the body fails, not the request
          return cut();
        }
        r.on("data", (chunk: Buffer) => {
          if (sent >= cutAfter) return;
          const part = chunk.subarray(0, cutAfter - sent);
          sent += part.length;
          res.write(part);
          if (sent >= cutAfter) cut();
        });
        r.on("end", () => {
          if (sent < cutAfter) res.end(); // shorter than the cut: passed whole
        });
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  };
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const d = decide(req);
    if (d === "pass") return forward(req, res);
    if ("cutAfter" in d) return forward(req, res, d.cutAfter, d.stall);
    if (d instanceof Promise) {
      void d.then(() => forward(req, res));
      return;
    }
    req.resume();
    req.on("end", () => {
      res.writeHead(d.status, { "content-type": "application/xml" });
      res.end(
        d.body ??
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("proxy has no port");
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
