import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPosture } from "../../../../posture/index.ts";
import { createLogger } from "../../../../scripts/lib/log.ts";
import type { AuditEvent } from "../../../../scripts/lib/rotation/audit.ts";
import type { EngineDeps } from "../../../../scripts/lib/rotation/engine.ts";
import { emergencyOrder } from "../../../../scripts/lib/rotation/kinds.ts";
import { pick, postureSecrets, runSelection } from "../../../../scripts/lib/rotation/plan.ts";
import { dueAt, secretStatus } from "../../../../scripts/lib/rotation/schedule.ts";
import { EnvFileSecretStore } from "../../../../scripts/lib/secrets/env-file.ts";
import { rotationStack } from "../../../support/stacks.ts";

const DAY = 86_400_000;

describe("rotation schedule (--due)", () => {
  it("due = last rotation + intervalDays; never rotated is due now", () => {
    expect(dueAt(null, 30)).toBeNull();
    expect(dueAt(new Date("2026-01-01T00:00:00Z"), 30)?.toISOString()).toBe("2026-01-31T00:00:00.000Z");
  });

  it("--due rotates exactly the secrets whose interval has passed, and audits each step", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-due-"));
    const posture = loadPosture(
      rotationStack(dir, {
        monthly: { kind: "age-identity", intervalDays: 30 },
        quarterly: { kind: "age-identity", intervalDays: 90 },
      }),
    );
    const store = new EnvFileSecretStore(pathToFileURL(join(dir, "secrets.env")).href);
    let t = Date.now();
    const events: AuditEvent[] = [];
    const deps: EngineDeps = {
      store,
      posture,
      log: createLogger({ stream: new PassThrough(), json: true }),
      now: () => new Date(t),
      emergency: false,
      audit: async (e) => {
        events.push(e);
      },
    };
    const due = async () =>
      (await runSelection(deps, posture, { mode: "due" })).map((r) => [r.secret, r.outcome]);

    expect(await due()).toEqual([
      ["monthly", "rotated"],
      ["quarterly", "rotated"],
    ]);
    expect(await due()).toEqual([
      ["monthly", "nothing-to-do"],
      ["quarterly", "nothing-to-do"],
    ]);
    // The env file records when each version was made; "now" moves on.
    t += 31 * DAY;
    const status = await secretStatus(store, "monthly", pick(posture, "monthly").spec, new Date(t));
    expect(status.due).toBe(true);
    expect(status.stages.current).toBeDefined();
    expect(await due()).toEqual([
      ["monthly", "rotated"],
      ["quarterly", "nothing-to-do"],
    ]);
    expect(events.filter((e) => e.secretName === "monthly").map((e) => e.step)).toEqual([
      "create",
      "set",
      "test",
      "finish",
      "create",
      "set",
      "test",
      "finish",
    ]);
  });

  it("emergency order: database logins, then signing keys, then vendor keys, then the backup key", () => {
    const posture = loadPosture(
      rotationStack(mkdtempSync(join(tmpdir(), "rampart-order-")), {
        backup: { kind: "age-identity" },
        vendor: { kind: "api-key", check: { url: "https://example.com/me" } },
        session: { kind: "jwt-signing-key" },
        db: { kind: "postgres-password" },
      }),
    );
    expect(emergencyOrder(postureSecrets(posture)).map((s) => s.name)).toEqual([
      "db",
      "session",
      "vendor",
      "backup",
    ]);
  });
});
