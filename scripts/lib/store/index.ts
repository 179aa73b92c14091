import { UserError } from "../../../posture/errors.ts";
import { FileStore } from "./file.ts";
import type { Store } from "./types.ts";

export type { DeleteResult, GetOptions, ObjectInfo, PutOptions, PutResult, Store } from "./types.ts";

/**
 * Open a store by URL. S3 honours AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (Hetzner, R2, MinIO, moto);
 * GCS honours STORAGE_EMULATOR_HOST. Cloud SDKs are imported lazily so `rampart --help` stays fast.
 */
export async function openStore(url: string): Promise<Store> {
  const scheme = /^([a-z0-9]+):/.exec(url)?.[1];
  switch (scheme) {
    case "file":
      return new FileStore(url);
    case "s3": {
      const { S3Store } = await import("./s3.ts");
      return new S3Store(url);
    }
    case "gs": {
      const { GcsStore } = await import("./gcs.ts");
      return new GcsStore(url);
    }
    default:
      throw new UserError(`unsupported store URL: ${url}`, {
        hint: "use s3://bucket/prefix, gs://bucket/prefix or file:///path",
        exitCode: 2,
      });
  }
}
