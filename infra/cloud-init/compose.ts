/** The Docker network every Rampart container joins; the app reaches `postgres` and `redis` by alias on it. */
export const NETWORK = "rampart";

export interface ComposeInput {
  /** Postgres major version (posture database.major): the image is the official `postgres:<major>`. */
  postgresMajor: number;
  /** Database created on first start (posture database.name). */
  databaseName: string;
  /** Mount point of the decrypted data volume. */
  dataDir: string;
}

/**
 * The data services: Postgres and Redis on the `rampart` bridge network only. Neither publishes a
 * port (nothing listens on the host's interfaces, let alone 0.0.0.0); the app and the Rampart jobs
 * reach them as `postgres:5432` and `redis:6379` on the network. Data lives on the LUKS volume.
 */
export function composeFile(c: ComposeInput): Record<string, unknown> {
  return {
    name: "rampart",
    services: {
      postgres: {
        image: `postgres:${c.postgresMajor}`,
        restart: "unless-stopped",
        env_file: [`${c.dataDir}/secrets/db.env`],
        environment: { POSTGRES_DB: c.databaseName },
        volumes: [`${c.dataDir}/postgres:/var/lib/postgresql/data`],
        networks: { [NETWORK]: { aliases: ["postgres"] } },
        shm_size: "256m",
        healthcheck: {
          test: ["CMD", "pg_isready", "-U", "postgres", "-d", c.databaseName],
          interval: "10s",
          retries: 6,
        },
      },
      redis: {
        image: "redis:7",
        restart: "unless-stopped",
        // AOF with fsync every second: at most one second of writes lost on a crash.
        command: ["redis-server", "--appendonly", "yes", "--appendfsync", "everysec"],
        volumes: [`${c.dataDir}/redis:/data`],
        networks: { [NETWORK]: { aliases: ["redis"] } },
        healthcheck: { test: ["CMD", "redis-cli", "ping"], interval: "10s", retries: 6 },
      },
    },
    networks: { [NETWORK]: { name: NETWORK, driver: "bridge" } },
  };
}
