import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ListSecretVersionIdsCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPosture } from "../../posture/index.ts";
import { parseIdentities } from "../../scripts/lib/age.ts";
import { currentRecipients, recipientsName } from "../../scripts/lib/rotation/age-identity.ts";
import { AwsSecretStore } from "../../scripts/lib/secrets/aws-sm.ts";
import type { RotationState } from "../../scripts/lib/secrets/types.ts";
import { runCli } from "../support/cli.ts";
import { s3Endpoint, secretsManagerClient, uniqueName } from "../support/services.ts";
import { rotationStack } from "../support/stacks.ts";
import { tempDirSync } from "../support/temp.ts";

const state = (token: string): RotationState => ({
  token,
  kind: "api-key",
  step: "create",
  startedAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  data: { kid: "abc" },
});

describe("AWS Secrets Manager store (moto)", () => {
  const labels = async (name: string) =>
    Object.fromEntries(
      (
        (await secretsManagerClient().send(new ListSecretVersionIdsCommand({ SecretId: name }))).Versions ??
        []
      ).map((v) => [v.VersionId, (v.VersionStages ?? []).sort()]),
    );

  it("uses staging labels: AWSPENDING -> AWSCURRENT -> AWSPREVIOUS, RAMPART_FAILED; state in tags", async () => {
    const store = new AwsSecretStore("awssm://us-east-1", secretsManagerClient());
    const name = uniqueName("rotate-sm");
    expect(await store.get(name)).toBeUndefined();
    await store.put(name, "v1");
    const t1 = "11111111-1111-4111-8111-111111111111";
    await store.stagePending(name, "v2", state(t1));
    await store.stagePending(name, "v2-regenerated", state(t1));
    expect(await store.get(name)).toBe("v1");
    expect(await store.get(name, "pending")).toBe("v2");
    expect(await store.state(name)).toEqual(state(t1));
    await store.saveState(name, { ...state(t1), step: "set" });
    expect((await store.state(name))?.step).toBe("set");

    await store.promote(name, t1);
    await store.promote(name, t1);
    expect(await store.get(name)).toBe("v2");
    expect(await store.get(name, "previous")).toBe("v1");
    expect(await store.get(name, "pending")).toBeUndefined();
    expect(await store.state(name)).toBeUndefined();
    expect((await labels(name))[t1]).toEqual(["AWSCURRENT"]);

    const t2 = "22222222-2222-4222-8222-222222222222";
    await store.stagePending(name, "bad", state(t2));
    await store.fail(name, t2);
    await store.fail(name, t2);
    expect(await store.get(name)).toBe("v2");
    expect((await labels(name))[t2]).toEqual(["RAMPART_FAILED"]);
    expect((await store.versions(name)).find((v) => v.stages.includes("failed"))?.id).toBe(t2);

    await store.purge(name);
    expect(await store.get(name, "previous")).toBeUndefined();
    expect(Object.values(await labels(name)).flat()).toEqual(["AWSCURRENT"]);
  });

  describe("the CLI against Secrets Manager", () => {
    let server: Server;
    let checkUrl: string;
    let dir: string;
    let stack: string;
    const suffix = uniqueName("s").replaceAll("-", "_");
    const idName = `age_${suffix}`;
    const keyName = `vendor_${suffix}`;
    const env = { AWS_ENDPOINT_URL_SECRETS_MANAGER: s3Endpoint() };
    beforeAll(async () => {
      // The vendor: accepts exactly one key, the one the human pastes below.
      server = createServer((req, res) => {
        res.statusCode = req.headers["x-api-key"] === "Token new-vendor-key-0123" ? 200 : 401;
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      checkUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/me`;
      dir = tempDirSync("rampart-rotate-sm-");
      stack = rotationStack(
        dir,
        {
          [idName]: { kind: "age-identity", intervalDays: 90 },
          [keyName]: {
            kind: "api-key",
            intervalDays: 180,
            check: { url: checkUrl, header: "x-api-key", prefix: "Token " },
          },
        },
        { "secrets.store": "awssm://us-east-1" },
      );
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("age identity: crash after set, resume, new recipient published", async () => {
      const crashed = await runCli(["rotate", idName, "--stack", stack], {
        ...env,
        RAMPART_ROTATE_CRASH_AFTER: "set",
      });
      expect(crashed.signal, crashed.stderr).toBe("SIGKILL");
      const resumed = await runCli(["rotate", idName, "--resume", "--stack", stack, "--json"], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout).results[0].outcome).toBe("rotated");
      const store = new AwsSecretStore("awssm://us-east-1", secretsManagerClient());
      const identities = parseIdentities((await store.get(idName)) as string);
      expect(identities).toHaveLength(1);
      const posture = loadPosture(stack);
      expect(posture.secrets.store).toBe("awssm://us-east-1");
      const published = (await store.get(recipientsName(idName)))?.trim();
      expect(published).toMatch(/^age1/);
    });

    it("api key: value from stdin, tested with the HTTP check; a wrong key is marked failed", async () => {
      const store = new AwsSecretStore("awssm://us-east-1", secretsManagerClient());
      await store.put(keyName, "old-vendor-key-0000");
      const wrong = await runCli(["rotate", keyName, "--stack", stack, "--json"], env, {
        stdin: "wrong-key-9999\n",
      });
      expect(wrong.code).toBe(1);
      expect(JSON.parse(wrong.stdout).results[0]).toMatchObject({
        outcome: "failed",
        reason: expect.stringMatching(/answered 401, expected 200/),
      });
      const ok = await runCli(["rotate", keyName, "--stack", stack, "--json"], env, {
        stdin: "new-vendor-key-0123\n",
      });
      expect(ok.code, ok.stderr).toBe(0);
      expect(await store.get(keyName)).toBe("new-vendor-key-0123");
      expect(await store.get(keyName, "previous")).toBe("old-vendor-key-0000");
      for (const out of [wrong.stdout, wrong.stderr, ok.stdout, ok.stderr]) {
        expect(out).not.toContain("new-vendor-key-0123");
        expect(out).not.toContain("wrong-key-9999");
      }
      const status = await runCli(["rotate", "--status", "--json", "--stack", stack], env);
      const rows = JSON.parse(status.stdout).secrets as { secret: string; stages: Record<string, unknown> }[];
      expect(Object.keys(rows.find((r) => r.secret === keyName)?.stages ?? {}).sort()).toEqual([
        "current",
        "failed",
        "previous",
      ]);
      // In a batch nobody can paste a key: --all --now reports it as not rotated, with the reason.
      const all = await runCli(["rotate", "--all", "--now", "--stack", stack, "--json"], env);
      expect(all.code).toBe(1);
      const results = JSON.parse(all.stdout).results as {
        secret: string;
        outcome: string;
        reason?: string;
      }[];
      expect(results.map((r) => r.secret)).toEqual([keyName, idName]);
      expect(results[0]).toMatchObject({
        outcome: "not-rotated",
        reason: expect.stringMatching(/needs a human/),
      });
      expect(results[1]?.outcome).toBe("rotated");
    });

    it("currentRecipients adds the published recipient to the posture's", async () => {
      const posture = loadPosture(stack);
      const store = new AwsSecretStore("awssm://us-east-1", secretsManagerClient());
      const published = (await store.get(recipientsName(idName)))?.trim() as string;
      // posture.secrets.ageIdentity names the identity the backup/restore commands use.
      const withIdentity = { ...posture, secrets: { ...posture.secrets, ageIdentity: idName } };
      process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = s3Endpoint();
      try {
        expect(await currentRecipients(withIdentity)).toEqual([...posture.backups.recipients, published]);
      } finally {
        delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      }
    });
  });
});
