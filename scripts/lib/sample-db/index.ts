import { readFile } from "node:fs/promises";
import pg from "pg";

/**
 * Load the sample "shop" database (schema.sql + data.sql) into an empty database. `scale` multiplies the
 * row counts (1 ≈ 300k rows). Generated server-side with generate_series, so it takes seconds, not minutes.
 */
export async function loadSampleDatabase(url: string, opts: { scale?: number } = {}): Promise<void> {
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1)
    throw new Error(`sample database scale must be a positive integer`);
  const read = (name: string) => readFile(new URL(name, import.meta.url), "utf8");
  const schema = await read("schema.sql");
  const data = (await read("data.sql")).replaceAll(":scale", String(scale));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(schema);
    await client.query(data);
  } finally {
    await client.end();
  }
}
