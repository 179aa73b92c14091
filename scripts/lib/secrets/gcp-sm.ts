import { UserError } from "../../../posture/errors.ts";
import { registerSecret } from "../redact.ts";
import { decodeState, encodeState, STATE_KEYS } from "./state-codec.ts";
import type { ReadableStage, RotationState, SecretStore, Stage, VersionInfo } from "./types.ts";

/** The part of @google-cloud/secret-manager's SecretManagerServiceClient this store calls. */
export type GcpSecret = {
  name?: string | null;
  versionAliases?: { [alias: string]: unknown } | null;
  annotations?: { [key: string]: string } | null;
};
export type GcpVersion = {
  name?: string | null;
  createTime?: { seconds?: unknown; nanos?: number | null } | null;
};
export type GcpPayload = { payload?: { data?: Uint8Array | string | null } | null };
export interface GcpSecretClient {
  getSecret(req: { name: string }): Promise<[GcpSecret, ...unknown[]]>;
  createSecret(req: {
    parent: string;
    secretId: string;
    secret: { replication: { automatic: Record<string, never> } };
  }): Promise<[GcpSecret, ...unknown[]]>;
  addSecretVersion(req: { parent: string; payload: { data: Buffer } }): Promise<[GcpVersion, ...unknown[]]>;
  getSecretVersion(req: { name: string }): Promise<[GcpVersion, ...unknown[]]>;
  listSecretVersions(req: { parent: string }): Promise<[(GcpVersion & { state?: unknown })[], ...unknown[]]>;
  destroySecretVersion(req: { name: string }): Promise<[GcpVersion, ...unknown[]]>;
  accessSecretVersion(req: { name: string }): Promise<[GcpPayload, ...unknown[]]>;
  updateSecret(req: {
    secret: { name: string; versionAliases: Record<string, number>; annotations: Record<string, string> };
    updateMask: { paths: string[] };
  }): Promise<[GcpSecret, ...unknown[]]>;
}

const NOT_FOUND = 5;
const isNotFound = (err: unknown) =>
  typeof err === "object" && err !== null && "code" in err && (err as { code: unknown }).code === NOT_FOUND;
const ANNOTATION = (k: string) => `rampart-rotation-${k.toLowerCase()}`;
const versionNumber = (name: string | null | undefined) => Number(name?.split("/").pop());

/**
 * gcpsm://PROJECT: GCP Secret Manager. Stages are version aliases (`current`, `pending`, `previous`,
 * `failed`) — applications read `versions/current`, not `latest` (a staged pending version is the latest).
 * The rotation state is kept in secret annotations; aliases and state change in one updateSecret call.
 */
export class GcpSecretStore implements SecretStore {
  readonly url: string;
  private readonly project: string;
  private readonly client: Promise<GcpSecretClient>;

  constructor(url: string, client?: GcpSecretClient) {
    this.url = url;
    this.project = url.slice("gcpsm://".length) || process.env.GOOGLE_CLOUD_PROJECT || "";
    if (!this.project)
      throw new UserError(`secret store ${url} names no GCP project`, {
        hint: "set secrets.store to gcpsm://PROJECT in the posture, or GOOGLE_CLOUD_PROJECT in the environment",
        exitCode: 2,
      });
    this.client = client
      ? Promise.resolve(client)
      : import("@google-cloud/secret-manager").then(
          (m): GcpSecretClient => new m.SecretManagerServiceClient(),
        );
  }

  private secretPath(name: string): string {
    return `projects/${this.project}/secrets/${name}`;
  }

  private async secret(name: string): Promise<GcpSecret | undefined> {
    try {
      return (await (await this.client).getSecret({ name: this.secretPath(name) }))[0];
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private aliases(s: GcpSecret | undefined): Record<string, number> {
    return Object.fromEntries(
      Object.entries(s?.versionAliases ?? {}).map(([k, v]) => [k, Number(String(v))]),
    );
  }

  async get(name: string, stage: ReadableStage = "current"): Promise<string | undefined> {
    try {
      const [v] = await (await this.client).accessSecretVersion({
        name: `${this.secretPath(name)}/versions/${stage}`,
      });
      const data = v.payload?.data;
      if (data == null) return undefined;
      const value = typeof data === "string" ? data : Buffer.from(data).toString("utf8");
      registerSecret(value);
      return value;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async versions(name: string): Promise<VersionInfo[]> {
    const byVersion = new Map<number, Stage[]>();
    for (const [alias, n] of Object.entries(this.aliases(await this.secret(name)))) {
      if (!["current", "pending", "previous", "failed"].includes(alias)) continue;
      byVersion.set(n, [...(byVersion.get(n) ?? []), alias as Stage]);
    }
    const client = await this.client;
    return Promise.all(
      [...byVersion].map(async ([n, stages]) => {
        const [v] = await client.getSecretVersion({ name: `${this.secretPath(name)}/versions/${n}` });
        const seconds = Number(String(v.createTime?.seconds ?? 0));
        return { id: String(n), stages, createdAt: new Date(seconds * 1000) };
      }),
    );
  }

  async state(name: string): Promise<RotationState | undefined> {
    const annotations = (await this.secret(name))?.annotations ?? {};
    return decodeState((k) => annotations[ANNOTATION(k)]);
  }

  private async update(
    name: string,
    fn: (aliases: Record<string, number>, annotations: Record<string, string>) => void,
  ): Promise<void> {
    const s = await this.secret(name);
    const aliases = this.aliases(s);
    const annotations = { ...(s?.annotations ?? {}) };
    fn(aliases, annotations);
    await (await this.client).updateSecret({
      secret: { name: this.secretPath(name), versionAliases: aliases, annotations },
      updateMask: { paths: ["version_aliases", "annotations"] },
    });
  }

  private async addVersion(name: string, value: string): Promise<number> {
    const client = await this.client;
    if (!(await this.secret(name)))
      await client.createSecret({
        parent: `projects/${this.project}`,
        secretId: name,
        secret: { replication: { automatic: {} } },
      });
    const [v] = await client.addSecretVersion({
      parent: this.secretPath(name),
      payload: { data: Buffer.from(value, "utf8") },
    });
    return versionNumber(v.name);
  }

  async stagePending(name: string, value: string, state: RotationState): Promise<void> {
    const current = await this.state(name);
    if (current?.token === state.token && this.aliases(await this.secret(name)).pending !== undefined) return;
    registerSecret(value);
    const n = await this.addVersion(name, value);
    await this.update(name, (aliases, annotations) => {
      aliases.pending = n;
      writeState(annotations, state);
    });
  }

  async saveState(name: string, state: RotationState): Promise<void> {
    await this.update(name, (_aliases, annotations) => {
      if (annotations[ANNOTATION("token")] !== state.token)
        throw new Error(`no pending version of ${name} with token ${state.token}`);
      writeState(annotations, state);
    });
  }

  private async move(name: string, token: string, to: "current" | "failed"): Promise<void> {
    const state = await this.state(name);
    if (state?.token !== token) return; // already moved (idempotent re-run)
    await this.update(name, (aliases, annotations) => {
      const pending = aliases.pending;
      if (pending === undefined) throw new Error(`no pending version of ${name} with token ${token}`);
      if (to === "current" && aliases.current !== undefined) aliases.previous = aliases.current;
      aliases[to] = pending;
      delete aliases.pending;
      for (const k of STATE_KEYS) delete annotations[ANNOTATION(k)];
    });
  }

  promote(name: string, token: string): Promise<void> {
    return this.move(name, token, "current");
  }

  fail(name: string, token: string): Promise<void> {
    return this.move(name, token, "failed");
  }

  async purge(name: string): Promise<void> {
    await this.update(name, (aliases) => {
      delete aliases.previous;
      delete aliases.failed;
    });
    const keep = new Set(Object.values(this.aliases(await this.secret(name))));
    const client = await this.client;
    const [versions] = await client.listSecretVersions({ parent: this.secretPath(name) });
    for (const v of versions) {
      if (keep.has(versionNumber(v.name)) || v.state === "DESTROYED" || v.state === 3) continue;
      await client.destroySecretVersion({ name: v.name as string });
    }
  }

  async put(name: string, value: string): Promise<void> {
    if ((await this.get(name)) === value) return;
    const n = await this.addVersion(name, value);
    await this.update(name, (aliases) => {
      if (aliases.current !== undefined) aliases.previous = aliases.current;
      aliases.current = n;
    });
  }
}

function writeState(annotations: Record<string, string>, state: RotationState): void {
  const fields = encodeState(state);
  for (const k of STATE_KEYS) annotations[ANNOTATION(k)] = fields[k];
}
