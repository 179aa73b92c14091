import { randomBytes } from "node:crypto";
import pg from "pg";
import { UserError } from "../../../posture/errors.ts";
import { type ConnInfo, clientConfig, describeConn } from "../pg/conninfo.ts";
import { withDatabase } from "../restore/connection.ts";

export type ScratchDatabase = { name: string; conn: ConnInfo; drop(): Promise<void> };

/** rampart_drill_<UTC stamp>_<4 hex>: recognisable in pg_database if a crashed drill ever leaves one behind. */
export const scratchName = (now = new Date()) =>
  `rampart_drill_${now.toISOString().replace(/\D/g, "").slice(0, 14)}_${randomBytes(2).toString("hex")}`;

async function admin<T>(server: ConnInfo, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(clientConfig(server));
  await client.connect().catch((e: Error) => {
    throw new UserError(`cannot connect to the drill server ${describeConn(server)}: ${e.message}`, {
      hint: "--target must name any existing database on the server the drill may create a scratch database on",
    });
  });
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Create an empty scratch database on `server` (connected through the database `server` names). */
export async function createScratch(server: ConnInfo, name = scratchName()): Promise<ScratchDatabase> {
  await admin(server, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`));
  return {
    name,
    conn: withDatabase(server, name),
    // FORCE: a failed pg_restore or check may leave sessions behind; the drill must never leave the database.
    drop: () =>
      admin(server, (c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** Does a database exist? (tests and `drill` self-checks after dropping). */
export async function databaseExists(server: ConnInfo, name: string): Promise<boolean> {
  return admin(
    server,
    async (c) => (await c.query("select 1 from pg_database where datname = $1", [name])).rowCount === 1,
  );
}
