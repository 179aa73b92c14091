// An HTTP proxy in front of a real emulator (moto, fake-gcs-server) that injects faults: transient and
// lasting errors, or requests held until the test lets them go. Real services with real failures, no mocks.
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";

export type Decision = "pass" | { status: number; body?: string } | Promise<void>;

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
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  };
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const d = decide(req);
    if (d === "pass") return forward(req, res);
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
