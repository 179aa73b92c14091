import { createServer } from "node:net";

/**
 * Asks the kernel for a free TCP port on `host` (loopback by default) and
 * releases it. Another process may still grab it before the caller binds, so
 * callers that start servers should retry on "address in use".
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`could not determine a free port on ${host}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
