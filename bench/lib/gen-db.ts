import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";

const execFileP = promisify(execFile);

/**
 * A database of about `targetMb` MB: pgbench tables (half) plus a wide table of text and jsonb (half),
 * whose hex text compresses about as well as typical application data (not like repeated strings).
 */
export async function generateDatabase(url: string, targetMb: number): Promise<number> {
  // pgbench scale 1 ≈ 15 MB with indexes.
  const scale = Math.max(1, Math.round(targetMb / 2 / 15));
  await execFileP("pgbench", ["-i", "-q", "-s", String(scale), "--no-vacuum", url], { maxBuffer: 1 << 24 });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    // ~1.3 KB per row.
    const rows = Math.round(((targetMb / 2) * 1024 * 1024) / 1300);
    await c.query(`create table docs (id bigint primary key, title text, body text, attrs jsonb)`);
    await c.query(
      `insert into docs
       select g, 'document ' || g,
              md5(g::text) || ' ' || md5((g * 3)::text) || ' ' || repeat(md5((g % 977)::text) || ' ', 12) || md5(random()::text),
              jsonb_build_object('owner', g % 1000, 'tags', jsonb_build_array('a' || g % 7, 'b' || g % 13),
                                 'score', random(), 'note', md5((g * 7)::text) || md5((g * 11)::text))
         from generate_series(1, $1::bigint) g`,
      [rows],
    );
    await c.query("vacuum analyze");
    const { rows: r } = await c.query<{ size: string }>("select pg_database_size(current_database()) size");
    return Number(r[0]?.size ?? 0);
  } finally {
    await c.end();
  }
}
