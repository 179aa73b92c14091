import { describe, expect, it } from "vitest";
import {
  type ConnInfo,
  clientConfig,
  connInfoFromEnv,
  DEFAULT_CONNECT_TIMEOUT_S,
} from "../../../../scripts/lib/pg/conninfo.ts";

const url = (u: string): ConnInfo => connInfoFromEnv({ DATABASE_URL: u });

describe("clientConfig's connect timeout", () => {
  it("bounds a connect by default (node-postgres would wait for ever on a host that never answers)", () => {
    expect(clientConfig(url("postgres://u@db.internal/shop")).connectionTimeoutMillis).toBe(
      DEFAULT_CONNECT_TIMEOUT_S * 1000,
    );
  });

  it("takes connect_timeout (seconds, as libpq) from the URL or PGCONNECT_TIMEOUT; 0 means no limit", () => {
    expect(clientConfig(url("postgres://u@db/shop?connect_timeout=5")).connectionTimeoutMillis).toBe(5000);
    expect(clientConfig(url("postgres://u@db/shop?connect_timeout=0")).connectionTimeoutMillis).toBe(0);
    const env = { PGHOST: "db", PGDATABASE: "shop", PGCONNECT_TIMEOUT: "7" };
    expect(clientConfig(connInfoFromEnv(env)).connectionTimeoutMillis).toBe(7000);
  });

  it("falls back to the default for a value libpq would not read as whole seconds", () => {
    expect(clientConfig(url("postgres://u@db/shop?connect_timeout=ten")).connectionTimeoutMillis).toBe(
      DEFAULT_CONNECT_TIMEOUT_S * 1000,
    );
  });
});
