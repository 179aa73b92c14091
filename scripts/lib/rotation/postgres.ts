import { randomBytes } from "node:crypto";
import pg from "pg";
import { UserError } from "../../../posture/errors.ts";
import type { RotatedSecret } from "../../../posture/schema/rotation.ts";
import { registerSecret } from "../redact.ts";
import { adminClient, execFormat, requireAdminConnection } from "./pg-admin.ts";
import { scramVerifier } from "./scram.ts";
import { type RotationKind, RotationTestFailed } from "./types.ts";

type Spec = Extract<RotatedSecret, { kind: "postgres-password" }>;
/** The secret's value: applications read both (the login role alternates). */
export type PgCredential = { username: string; password: string };

export function parseCredential(value: string | undefined, name: string): PgCredential | undefined {
  if (value === undefined) return undefined;
  try {
    const c = JSON.parse(value) as Partial<PgCredential>;
    if (typeof c.username === "string" && typeof c.password === "string") {
      registerSecret(c.password);
      return { username: c.username, password: c.password };
    }
  } catch {}
  throw new UserError(`secret ${name} is not a Postgres credential`, {
    hint: 'expected JSON {"username": "...", "password": "..."} (as rampart rotate writes it)',
  });
}

const newPassword = () => randomBytes(32).toString("base64url");

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await adminClient();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function ensureRole(c: pg.Client, role: string, login: boolean): Promise<void> {
  const { rowCount } = await c.query("select 1 from pg_roles where rolname = $1", [role]);
  if (!rowCount) await execFormat(c, login ? "CREATE ROLE %I LOGIN" : "CREATE ROLE %I NOLOGIN", role);
}

/**
 * Alternating users: two login roles share one group role that holds every grant (and owns what they
 * create, via `SET role`), so they never drift. A rotation changes the password of the role that is NOT
 * current, proves a real login with it, then makes it current. Sessions and clients still using the old
 * role keep working: its password is only changed by the next rotation (or at once in emergency mode).
 */
export const postgresPassword: RotationKind<Spec> = {
  unattended: true,
  preflight: requireAdminConnection,

  async create(ctx) {
    const current = parseCredential(await ctx.store.get(ctx.name), ctx.name);
    const [a, b] = ctx.spec.roles;
    const username = current?.username === a ? b : a;
    return { value: JSON.stringify({ username, password: newPassword() }), data: { role: username } };
  },

  async set(ctx, pending) {
    const cred = parseCredential(pending, ctx.name) as PgCredential;
    await withAdmin(async (c) => {
      await ensureRole(c, ctx.spec.group, false);
      for (const role of ctx.spec.roles) {
        await ensureRole(c, role, true);
        await execFormat(c, "GRANT %I TO %I", ctx.spec.group, role);
        await execFormat(c, "ALTER ROLE %I SET role = %L", role, ctx.spec.group);
      }
      await execFormat(
        c,
        "ALTER ROLE %I WITH LOGIN PASSWORD %L",
        cred.username,
        scramVerifier(cred.password),
      );
    });
    return { role: cred.username };
  },

  async test(ctx, pending) {
    const cred = parseCredential(pending, ctx.name) as PgCredential;
    const where = await withAdmin(async (c) => ({ host: c.host, port: c.port, database: c.database }));
    const app = new pg.Client({
      ...where,
      user: cred.username,
      password: cred.password,
      connectionTimeoutMillis: 10_000,
    });
    try {
      await app.connect();
      const { rows } = await app.query<{ who: string; member: boolean }>(
        "select session_user as who, pg_has_role(session_user, $1, 'member') as member",
        [ctx.spec.group],
      );
      if (rows[0]?.who !== cred.username || rows[0]?.member !== true)
        throw new RotationTestFailed(`${cred.username} logged in but is not a member of ${ctx.spec.group}`);
    } catch (err) {
      if (err instanceof RotationTestFailed) throw err;
      throw new RotationTestFailed(`login as ${cred.username} failed: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      await app.end().catch(() => {});
    }
  },

  async afterPromote(ctx, previous) {
    if (!ctx.emergency) return;
    // Incident: the old credential may be the leaked one. Give its role a password nobody holds;
    // its open sessions stay up (terminate them per the runbook if the attacker may hold one).
    const old = parseCredential(previous, ctx.name);
    const fresh = parseCredential(await ctx.store.get(ctx.name), ctx.name);
    if (!old || old.username === fresh?.username) return;
    await withAdmin((c) =>
      execFormat(c, "ALTER ROLE %I WITH PASSWORD %L", old.username, scramVerifier(newPassword())),
    );
    ctx.log.warn(
      `${ctx.name}: emergency: ${old.username}'s password was revoked (its open sessions were left running)`,
    );
  },
};
