import { describe, expect, it } from "vitest";
import {
  type GcpPayload,
  type GcpSecret,
  type GcpSecretClient,
  GcpSecretStore,
  type GcpVersion,
} from "../../../../scripts/lib/secrets/gcp-sm.ts";
import type { RotationState } from "../../../../scripts/lib/secrets/types.ts";

/**
 * An in-memory implementation of the SecretManagerServiceClient methods the store calls (no emulator
 * exists for GCP Secret Manager). It follows the API: NOT_FOUND is gRPC code 5, aliases resolve in
 * version paths, `latest` is the newest enabled version, destroyed versions have no payload.
 */
class MemorySecretManager implements GcpSecretClient {
  secrets = new Map<
    string,
    {
      aliases: Record<string, number>;
      annotations: Record<string, string>;
      versions: { data: Buffer; state: string; created: number }[];
    }
  >();
  calls: string[] = [];

  private notFound(what: string): never {
    throw Object.assign(new Error(`5 NOT_FOUND: ${what}`), { code: 5 });
  }
  private secret(name: string) {
    return this.secrets.get(name) ?? this.notFound(name);
  }
  private view(name: string): GcpSecret {
    const s = this.secret(name);
    return { name, versionAliases: { ...s.aliases }, annotations: { ...s.annotations } };
  }
  private resolve(versionName: string) {
    const [secretName, v] = versionName.split("/versions/") as [string, string];
    const s = this.secret(secretName);
    const n =
      v === "latest"
        ? s.versions.length
        : /^\d+$/.test(v)
          ? Number(v)
          : (s.aliases[v] ?? this.notFound(versionName));
    const version = s.versions[n - 1] ?? this.notFound(versionName);
    return { n, version, secretName };
  }

  async getSecret(req: { name: string }): Promise<[GcpSecret]> {
    this.calls.push("getSecret");
    return [this.view(req.name)];
  }
  async createSecret(req: { parent: string; secretId: string }): Promise<[GcpSecret]> {
    this.calls.push("createSecret");
    const name = `${req.parent}/secrets/${req.secretId}`;
    if (this.secrets.has(name)) throw Object.assign(new Error("6 ALREADY_EXISTS"), { code: 6 });
    this.secrets.set(name, { aliases: {}, annotations: {}, versions: [] });
    return [this.view(name)];
  }
  async addSecretVersion(req: { parent: string; payload: { data: Buffer } }): Promise<[GcpVersion]> {
    this.calls.push("addSecretVersion");
    const s = this.secret(req.parent);
    s.versions.push({
      data: Buffer.from(req.payload.data),
      state: "ENABLED",
      created: 1_700_000_000 + s.versions.length,
    });
    return [{ name: `${req.parent}/versions/${s.versions.length}` }];
  }
  async getSecretVersion(req: { name: string }): Promise<[GcpVersion]> {
    const { n, version, secretName } = this.resolve(req.name);
    return [
      { name: `${secretName}/versions/${n}`, createTime: { seconds: String(version.created), nanos: 0 } },
    ];
  }
  async accessSecretVersion(req: { name: string }): Promise<[GcpPayload]> {
    const { version } = this.resolve(req.name);
    if (version.state !== "ENABLED") throw Object.assign(new Error("9 FAILED_PRECONDITION"), { code: 9 });
    return [{ payload: { data: new Uint8Array(version.data) } }];
  }
  async updateSecret(req: {
    secret: { name: string; versionAliases: Record<string, number>; annotations: Record<string, string> };
    updateMask: { paths: string[] };
  }): Promise<[GcpSecret]> {
    this.calls.push("updateSecret");
    const s = this.secret(req.secret.name);
    expect(req.updateMask.paths.sort()).toEqual(["annotations", "version_aliases"]);
    for (const n of Object.values(req.secret.versionAliases))
      if (!s.versions[n - 1])
        throw Object.assign(new Error("3 INVALID_ARGUMENT: alias to missing version"), { code: 3 });
    s.aliases = { ...req.secret.versionAliases };
    s.annotations = { ...req.secret.annotations };
    return [this.view(req.secret.name)];
  }
  async listSecretVersions(req: { parent: string }): Promise<[(GcpVersion & { state: string })[]]> {
    const s = this.secret(req.parent);
    return [s.versions.map((v, i) => ({ name: `${req.parent}/versions/${i + 1}`, state: v.state }))];
  }
  async destroySecretVersion(req: { name: string }): Promise<[GcpVersion]> {
    const { version } = this.resolve(req.name);
    version.state = "DESTROYED";
    version.data = Buffer.alloc(0);
    return [{ name: req.name }];
  }
}

const state = (token: string): RotationState => ({
  token,
  kind: "jwt-signing-key",
  step: "create",
  startedAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  data: { kid: "k1", publishedAt: "2026-01-01T00:00:00.000Z" },
});

describe("GCP Secret Manager store (versions + aliases)", () => {
  const setup = () => {
    const client = new MemorySecretManager();
    return { client, store: new GcpSecretStore("gcpsm://proj", client) };
  };

  it("stages a pending alias, keeps state in annotations, promotes current -> previous", async () => {
    const { client, store } = setup();
    expect(await store.get("db")).toBeUndefined();
    await store.put("db", "v1");
    await store.stagePending("db", "v2", state("tok"));
    expect(await store.get("db")).toBe("v1");
    expect(await store.get("db", "pending")).toBe("v2");
    expect(await store.state("db")).toEqual(state("tok"));

    const versionsBefore = client.secrets.get("projects/proj/secrets/db")?.versions.length;
    await store.stagePending("db", "v2-again", state("tok"));
    expect(client.secrets.get("projects/proj/secrets/db")?.versions.length).toBe(versionsBefore);

    await store.promote("db", "tok");
    await store.promote("db", "tok");
    expect(await store.get("db")).toBe("v2");
    expect(await store.get("db", "previous")).toBe("v1");
    expect(await store.get("db", "pending")).toBeUndefined();
    expect(await store.state("db")).toBeUndefined();
    const stages = (await store.versions("db")).map((v) => [v.id, v.stages]);
    expect(stages.sort()).toEqual([
      ["1", ["previous"]],
      ["2", ["current"]],
    ]);
  });

  it("a failed pending keeps current and gets the failed alias", async () => {
    const { store } = setup();
    await store.put("db", "v1");
    await store.stagePending("db", "bad", state("t2"));
    await store.fail("db", "t2");
    expect(await store.get("db")).toBe("v1");
    expect((await store.versions("db")).find((v) => v.stages.includes("failed"))?.id).toBe("2");
    expect(await store.state("db")).toBeUndefined();
  });

  it("saveState refuses a token that is not pending", async () => {
    const { store } = setup();
    await store.put("db", "v1");
    await expect(store.saveState("db", state("nope"))).rejects.toThrow(/no pending version/);
  });

  it("purge destroys every version except current", async () => {
    const { client, store } = setup();
    await store.put("id", "a");
    await store.put("id", "b");
    await store.put("id", "c");
    await store.purge("id");
    expect(await store.get("id")).toBe("c");
    expect(await store.get("id", "previous")).toBeUndefined();
    expect(client.secrets.get("projects/proj/secrets/id")?.versions.map((v) => v.state)).toEqual([
      "DESTROYED",
      "DESTROYED",
      "ENABLED",
    ]);
  });
});
