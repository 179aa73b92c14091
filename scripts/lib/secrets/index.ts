import { UserError } from "../../../posture/errors.ts";
import { EnvFileSecretStore } from "./env-file.ts";
import type { SecretStore } from "./types.ts";

export type { ReadableStage, RotationState, SecretStore, Stage, Step, VersionInfo } from "./types.ts";
export { STEPS } from "./types.ts";

/** Open the stack's secret store by URL (posture.secrets.store). Cloud SDKs load lazily. */
export async function openSecretStore(url: string): Promise<SecretStore> {
  const scheme = /^([a-z]+):/.exec(url)?.[1];
  switch (scheme) {
    case "file":
      if (!url.startsWith("file:///")) break;
      return new EnvFileSecretStore(url);
    case "awssm":
      return new (await import("./aws-sm.ts")).AwsSecretStore(url);
    case "gcpsm":
      return new (await import("./gcp-sm.ts")).GcpSecretStore(url);
  }
  throw new UserError(`unsupported secret store URL: ${url}`, {
    hint: "set secrets.store in the posture to awssm://REGION, gcpsm://PROJECT or file:///abs/path.env",
    exitCode: 2,
  });
}
