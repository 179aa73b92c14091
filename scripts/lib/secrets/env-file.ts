import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../../posture/errors.ts";
import { registerSecret } from "../redact.ts";
import { readIfExists, replaceFile } from "./atomic-file.ts";
import { formatEnv, parseEnv } from "./env-format.ts";
import type { ReadableStage, RotationState, SecretStore, Stage, VersionInfo } from "./types.ts";

type VersionMeta = { id: string; createdAt: string };
type SecretMeta = { versions: Partial<Record<Stage, VersionMeta>>; state?: RotationState };
type Meta = { secrets: Record<string, SecretMeta> };

/**
 * file:///abs/path.env for the self-hosted profile. Applications read `<file>` (current values); the
 * previous values live in `<file>.previous`, a rotation's staged values in `<file>.pending`, failed ones
 * in `<file>.failed`, and value-free version metadata and rotation state in `<file>.rotation.json`.
 * Every write is an atomic replace with mode 0600 and the original owner.
 */
export class EnvFileSecretStore implements SecretStore {
  readonly url: string;
  readonly path: string;

  constructor(url: string) {
    this.url = url;
    this.path = fileURLToPath(url);
  }

  private file(stage: Stage): string {
    return stage === "current" ? this.path : `${this.path}.${stage}`;
  }

  private async values(stage: Stage): Promise<Map<string, string>> {
    const text = await readIfExists(this.file(stage));
    const values = text === undefined ? new Map<string, string>() : parseEnv(text);
    for (const v of values.values()) registerSecret(v);
    return values;
  }

  private async write(stage: Stage, values: Map<string, string>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await replaceFile(this.file(stage), formatEnv(values), this.path);
  }

  private async setValue(stage: Stage, name: string, value: string | undefined): Promise<void> {
    const values = await this.values(stage);
    if (value === undefined ? !values.has(name) : values.get(name) === value) return;
    if (value === undefined) values.delete(name);
    else values.set(name, value);
    await this.write(stage, values);
  }

  private metaPath(): string {
    return `${this.path}.rotation.json`;
  }

  private async meta(): Promise<Meta> {
    const text = await readIfExists(this.metaPath());
    if (text === undefined) return { secrets: {} };
    try {
      return JSON.parse(text) as Meta;
    } catch {
      throw new UserError(`${this.metaPath()} is not valid JSON`, {
        hint: "it holds rotation metadata only (no values); restore it from a copy or remove it to start over",
      });
    }
  }

  private async updateMeta(name: string, fn: (m: SecretMeta) => void): Promise<void> {
    const meta = await this.meta();
    const entry = meta.secrets[name] ?? { versions: {} };
    fn(entry);
    meta.secrets[name] = entry;
    await mkdir(dirname(this.path), { recursive: true });
    await replaceFile(this.metaPath(), `${JSON.stringify(meta, null, 2)}\n`, this.path);
  }

  async get(name: string, stage: ReadableStage = "current"): Promise<string | undefined> {
    return (await this.values(stage)).get(name);
  }

  async versions(name: string): Promise<VersionInfo[]> {
    const entry = (await this.meta()).secrets[name];
    const out: VersionInfo[] = [];
    for (const [stage, v] of Object.entries(entry?.versions ?? {})) {
      if (v) out.push({ id: v.id, stages: [stage as Stage], createdAt: new Date(v.createdAt) });
    }
    // A value written by hand (no metadata yet) is still the current version.
    if (!entry?.versions.current && (await this.get(name)) !== undefined)
      out.push({ id: "unversioned", stages: ["current"], createdAt: new Date(0) });
    return out;
  }

  async state(name: string): Promise<RotationState | undefined> {
    return (await this.meta()).secrets[name]?.state;
  }

  async stagePending(name: string, value: string, state: RotationState): Promise<void> {
    const entry = (await this.meta()).secrets[name];
    if (entry?.versions.pending?.id === state.token && (await this.get(name, "pending")) !== undefined)
      return;
    registerSecret(value);
    await this.setValue("pending", name, value);
    await this.updateMeta(name, (m) => {
      m.versions.pending = { id: state.token, createdAt: new Date().toISOString() };
      m.state = state;
    });
  }

  async saveState(name: string, state: RotationState): Promise<void> {
    await this.updateMeta(name, (m) => {
      if (m.versions.pending?.id !== state.token)
        throw new Error(`no pending version of ${name} with token ${state.token}`);
      m.state = state;
    });
  }

  async promote(name: string, token: string): Promise<void> {
    const meta = (await this.meta()).secrets[name];
    if (meta?.versions.current?.id === token) return this.clearPending(name);
    const pending = await this.get(name, "pending");
    if (meta?.versions.pending?.id !== token || pending === undefined)
      throw new Error(`no pending version of ${name} with token ${token}`);
    const current = await this.get(name);
    // Equal values mean a killed promote already replaced current: do not overwrite previous with it.
    if (current !== pending) {
      if (current !== undefined) await this.setValue("previous", name, current);
      await this.setValue("current", name, pending);
    }
    await this.updateMeta(name, (m) => {
      if (m.versions.current) m.versions.previous = m.versions.current;
      m.versions.current = m.versions.pending ?? { id: token, createdAt: new Date().toISOString() };
      delete m.versions.pending;
      delete m.state;
    });
    await this.setValue("pending", name, undefined);
  }

  private async clearPending(name: string): Promise<void> {
    await this.setValue("pending", name, undefined);
    await this.updateMeta(name, (m) => {
      delete m.versions.pending;
      delete m.state;
    });
  }

  async fail(name: string, token: string): Promise<void> {
    const meta = (await this.meta()).secrets[name];
    if (meta?.versions.failed?.id === token) return this.clearPending(name);
    if (meta?.versions.pending?.id !== token)
      throw new Error(`no pending version of ${name} with token ${token}`);
    const pending = await this.get(name, "pending");
    if (pending !== undefined) await this.setValue("failed", name, pending);
    await this.updateMeta(name, (m) => {
      m.versions.failed = m.versions.pending ?? { id: token, createdAt: new Date().toISOString() };
      delete m.versions.pending;
      delete m.state;
    });
    await this.setValue("pending", name, undefined);
  }

  async purge(name: string): Promise<void> {
    await this.setValue("previous", name, undefined);
    await this.setValue("failed", name, undefined);
    await this.updateMeta(name, (m) => {
      delete m.versions.previous;
      delete m.versions.failed;
    });
  }

  async put(name: string, value: string): Promise<void> {
    const current = await this.get(name);
    if (current === value) return;
    if (current !== undefined) await this.setValue("previous", name, current);
    await this.setValue("current", name, value);
    await this.updateMeta(name, (m) => {
      if (m.versions.current) m.versions.previous = m.versions.current;
      m.versions.current = { id: randomUUID(), createdAt: new Date().toISOString() };
    });
  }
}
