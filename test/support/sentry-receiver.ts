// A local HTTP receiver standing in for sentry.io: records every envelope the real @sentry/node SDK sends,
// so tests can read Crons check-ins and error events as Sentry would get them.
import { createServer } from "node:http";
import { gunzipSync } from "node:zlib";

export type EnvelopeItem = { type: string; payload: Record<string, unknown> };

export type SentryReceiver = {
  /** A DSN pointing at this receiver. */
  dsn: string;
  /** Raw envelope bodies (gunzipped), for checks that nothing secret was sent at all. */
  bodies: string[];
  /** Every item of every envelope, in arrival order. */
  items(): EnvelopeItem[];
  checkIns(): Record<string, unknown>[];
  events(): Record<string, unknown>[];
  /** Forget what was received so far. */
  clear(): void;
  close(): Promise<void>;
};

export async function startSentryReceiver(): Promise<SentryReceiver> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      bodies.push((req.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body).toString("utf8"));
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("no port");
  // Envelope = header line, then (item header line, payload line) pairs.
  const items = (): EnvelopeItem[] =>
    bodies.flatMap((body) => {
      const lines = body.split("\n").filter((l) => l.trim() !== "");
      const out: EnvelopeItem[] = [];
      for (let i = 1; i + 1 < lines.length; i += 2)
        out.push({
          type: (JSON.parse(lines[i] as string) as { type: string }).type,
          payload: JSON.parse(lines[i + 1] as string),
        });
      return out;
    });
  const payloads = (type: string) =>
    items()
      .filter((i) => i.type === type)
      .map((i) => i.payload);
  return {
    dsn: `http://0123456789abcdef0123456789abcdef@127.0.0.1:${addr.port}/42`,
    bodies,
    items,
    checkIns: () => payloads("check_in"),
    events: () => payloads("event"),
    clear: () => {
      bodies.length = 0;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
