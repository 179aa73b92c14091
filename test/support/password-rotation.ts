// The setup every postgres-password rotation test and bench starts from: a scramCluster, and a stack whose
// rotation.secrets holds one postgres-password secret in an env-file store of its own.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { EnvFileSecretStore } from "../../scripts/lib/secrets/env-file.ts";
import { type AppCluster, type Credential, scramCluster } from "./scram-cluster.ts";
import { rotationStack } from "./stacks.ts";
import { tempDirSync } from "./temp.ts";

export type PasswordRotation = {
  app: AppCluster;
  dir: string;
  /** The stack file. */
  stack: string;
  store: EnvFileSecretStore;
  /** The credential the store holds at `stage`, if any. */
  credential(stage?: "current" | "previous" | "pending"): Promise<Credential | undefined>;
};

export async function passwordRotation(secret: string, tempPrefix: string): Promise<PasswordRotation> {
  const app = await scramCluster();
  const dir = tempDirSync(tempPrefix);
  const stack = rotationStack(dir, { [secret]: { kind: "postgres-password", intervalDays: 30 } });
  const store = new EnvFileSecretStore(pathToFileURL(join(dir, "secrets.env")).href);
  const credential = async (stage: "current" | "previous" | "pending" = "current") => {
    const v = await store.get(secret, stage);
    return v === undefined ? undefined : (JSON.parse(v) as Credential);
  };
  return { app, dir, stack, store, credential };
}
