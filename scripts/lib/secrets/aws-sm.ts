import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { registerSecret } from "../redact.ts";
import { decodeState, encodeState, STATE_KEYS } from "./state-codec.ts";
import type { ReadableStage, RotationState, SecretStore, Stage, VersionInfo } from "./types.ts";

const LABEL: Record<Stage, string> = {
  current: "AWSCURRENT",
  pending: "AWSPENDING",
  previous: "AWSPREVIOUS",
  failed: "RAMPART_FAILED",
};
const STAGE_OF = new Map(Object.entries(LABEL).map(([stage, label]) => [label, stage as Stage]));
const TAG = (k: string) => `rampart:rotation-${k}`;

const isNotFound = (err: unknown) => err instanceof Error && err.name === "ResourceNotFoundException";

/**
 * awssm://REGION: AWS Secrets Manager with its own staging labels (AWSCURRENT/AWSPENDING/AWSPREVIOUS, plus
 * RAMPART_FAILED). The rotation token is the version id (ClientRequestToken), so a re-run create is a no-op;
 * the rotation state lives in `rampart:rotation-*` tags. Honours AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
export class AwsSecretStore implements SecretStore {
  readonly url: string;
  private readonly client: Promise<SecretsManagerClient>;

  constructor(url: string, client?: SecretsManagerClient) {
    this.url = url;
    const region = url.slice("awssm://".length) || undefined;
    this.client = client
      ? Promise.resolve(client)
      : import("@aws-sdk/client-secrets-manager").then(
          (m) => new m.SecretsManagerClient(region ? { region } : {}),
        );
  }

  private async sdk() {
    return { c: await this.client, m: await import("@aws-sdk/client-secrets-manager") };
  }

  async get(name: string, stage: ReadableStage = "current"): Promise<string | undefined> {
    const { c, m } = await this.sdk();
    try {
      const out = await c.send(new m.GetSecretValueCommand({ SecretId: name, VersionStage: LABEL[stage] }));
      registerSecret(out.SecretString);
      return out.SecretString;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async versions(name: string): Promise<VersionInfo[]> {
    const { c, m } = await this.sdk();
    try {
      const out = await c.send(new m.ListSecretVersionIdsCommand({ SecretId: name }));
      return (out.Versions ?? []).flatMap((v) => {
        const stages = (v.VersionStages ?? []).flatMap((l) => STAGE_OF.get(l) ?? []);
        return v.VersionId && stages.length
          ? [{ id: v.VersionId, stages, createdAt: v.CreatedDate ?? new Date(0) }]
          : [];
      });
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  async state(name: string): Promise<RotationState | undefined> {
    const { c, m } = await this.sdk();
    try {
      const out = await c.send(new m.DescribeSecretCommand({ SecretId: name }));
      const tags = new Map((out.Tags ?? []).map((t) => [t.Key, t.Value]));
      return decodeState((k) => tags.get(TAG(k)));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async ensureSecret(name: string): Promise<void> {
    const { c, m } = await this.sdk();
    try {
      await c.send(new m.DescribeSecretCommand({ SecretId: name }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await c.send(new m.CreateSecretCommand({ Name: name, Description: "managed by rampart rotate" }));
    }
  }

  private async labelHolder(name: string, stage: Stage): Promise<string | undefined> {
    return (await this.versions(name)).find((v) => v.stages.includes(stage))?.id;
  }

  async stagePending(name: string, value: string, state: RotationState): Promise<void> {
    const { c, m } = await this.sdk();
    await this.ensureSecret(name);
    const exists = (await this.versions(name)).some((v) => v.id === state.token);
    if (!exists) {
      registerSecret(value);
      await c.send(
        new m.PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: state.token,
          SecretString: value,
          VersionStages: [LABEL.pending],
        }),
      );
    }
    await this.saveState(name, state);
  }

  async saveState(name: string, state: RotationState): Promise<void> {
    const { c, m } = await this.sdk();
    const fields = encodeState(state);
    await c.send(
      new m.TagResourceCommand({
        SecretId: name,
        Tags: STATE_KEYS.map((k) => ({ Key: TAG(k), Value: fields[k] })),
      }),
    );
  }

  private async clearState(name: string, token: string): Promise<void> {
    const { c, m } = await this.sdk();
    if ((await this.labelHolder(name, "pending")) === token)
      await c.send(
        new m.UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: LABEL.pending,
          RemoveFromVersionId: token,
        }),
      );
    if ((await this.state(name))?.token === token)
      await c.send(new m.UntagResourceCommand({ SecretId: name, TagKeys: STATE_KEYS.map(TAG) }));
  }

  private async moveLabel(name: string, stage: Stage, token: string): Promise<void> {
    const { c, m } = await this.sdk();
    const holder = await this.labelHolder(name, stage);
    if (holder === token) return;
    await c.send(
      new m.UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: LABEL[stage],
        MoveToVersionId: token,
        ...(holder ? { RemoveFromVersionId: holder } : {}),
      }),
    );
  }

  async promote(name: string, token: string): Promise<void> {
    // Moving AWSCURRENT makes Secrets Manager label the old current AWSPREVIOUS.
    await this.moveLabel(name, "current", token);
    await this.clearState(name, token);
  }

  async fail(name: string, token: string): Promise<void> {
    await this.moveLabel(name, "failed", token);
    await this.clearState(name, token);
  }

  async purge(name: string): Promise<void> {
    const { c, m } = await this.sdk();
    for (const v of await this.versions(name)) {
      for (const stage of v.stages.filter((st) => st === "previous" || st === "failed"))
        await c.send(
          new m.UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: LABEL[stage],
            RemoveFromVersionId: v.id,
          }),
        );
    }
  }

  async put(name: string, value: string): Promise<void> {
    const { c, m } = await this.sdk();
    if ((await this.get(name)) === value) return;
    await this.ensureSecret(name);
    await c.send(new m.PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }
}
