// Test-side entry point for throwaway PostgreSQL clusters; the implementation
// lives in scripts/lib/pg-cluster.ts so that `make demo` can use it too.

export { freePort } from "../../scripts/lib/net.ts";
export {
  DEFAULT_PG_BIN,
  type PgSetting,
  type PostgresCluster,
  type StartPostgresOptions,
  startPostgres,
} from "../../scripts/lib/pg-cluster.ts";
