import { writeFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { ConfigError, listStacks, loadPosture } from "../../posture/index.ts";
import { ROOT, variant } from "./fixtures.ts";

/** Load and return the ConfigError's text (message + hints), failing the test if it loads. */
function problem(file: string): string {
  try {
    loadPosture(file, ROOT);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const err = e as ConfigError;
    expect(err.exitCode).toBe(2);
    return [err.message, ...err.hints].join("\n");
  }
  throw new Error(`${file} loaded without error`);
}

describe("shipped stacks", () => {
  test("every stack file in stacks/ loads", () => {
    const stacks = listStacks(ROOT);
    expect(stacks).toEqual(
      expect.arrayContaining(["local", "gcp-zurich", "gcp-mumbai", "aws-frankfurt", "hetzner-nuremberg"]),
    );
    for (const s of stacks) expect(loadPosture(s, ROOT).source.stack).toBe(s);
  });

  test("defaults fill what a stack does not state, and the result is frozen", () => {
    const p = loadPosture("local", ROOT);
    expect(p.backups.compression).toEqual({ algorithm: "zstd", level: 1 });
    expect(p.database.deletionProtection).toBe(true);
    expect(p.edge).toBeNull();
    expect(p.stores.backups).toBe(`file://${ROOT}.rampart/local/store`);
    expect(p.stores.evidence).toBe(`file://${ROOT}.rampart/local/store/evidence`);
    expect(Object.isFrozen(p.backups.retention)).toBe(true);
  });

  test("cloud stacks derive stores from bucket names and default object locks from retention", () => {
    const gcp = loadPosture("gcp-zurich", ROOT);
    expect(gcp.stores).toEqual({
      backups: "gs://numezis-backups-zrh/postgres",
      evidence: "gs://numezis-evidence-zrh/evidence",
    });
    expect(gcp.secrets.store).toBe("gcpsm://");
    const mumbai = loadPosture("gcp-mumbai", ROOT);
    expect(mumbai.buckets.backups.objectLock).toEqual({ mode: "governance", days: 30 });
    expect(mumbai.buckets.evidence.objectLock).toEqual({ mode: "governance", days: 400 });
    const hetzner = loadPosture("hetzner-nuremberg", ROOT);
    expect(hetzner.regions.storage).toBe("eu-central-1");
    expect(hetzner.stores.backups).toBe("s3://prezio-backups-fra/postgres");
    expect(hetzner.buckets.uploads?.objectLock).toBeNull();
  });
});

describe("each class of mistake names the file, the key and the fix", () => {
  test("bad cron", () => {
    const file = variant("gcp-zurich", ["backups", "schedule"], "every 4h");
    expect(problem(file)).toBe(
      `${file}: rampart:posture.backups.schedule: "every 4h" is not a cron expression (e.g. "0 */4 * * *")`,
    );
  });

  test("unknown key, with a did-you-mean", () => {
    const file = variant("gcp-zurich", ["backups", "retention", "dayly"], 30);
    expect(problem(file)).toBe(
      `${file}: rampart:posture.backups.retention.dayly: unknown key; did you mean "daily"?`,
    );
  });

  test("unknown top-level key lists nothing silently", () => {
    const file = variant("local", ["backup"], { schedule: "0 * * * *" });
    expect(problem(file)).toBe(`${file}: rampart:posture.backup: unknown key; did you mean "backups"?`);
  });

  test("region outside the allowed list", () => {
    const file = variant("gcp-zurich", ["regions", "primary"], "europe-west3");
    expect(problem(file)).toBe(
      `${file}: rampart:posture.regions.primary: "europe-west3" is outside the allowed regions [europe-west6]`,
    );
  });

  test("lifecycle days out of order", () => {
    const file = variant("gcp-zurich", ["buckets", "backups", "lifecycle", "tiers", 1, "afterDays"], 20);
    expect(problem(file)).toBe(
      `${file}: rampart:posture.buckets.backups.lifecycle.tiers[1].afterDays: 20 is not after the previous tier's 30 days; tier days must increase`,
    );
  });

  test("lifecycle tier warmer than the previous one", () => {
    const file = variant("gcp-zurich", ["buckets", "backups", "lifecycle", "tiers", 2, "tier"], "infrequent");
    expect(problem(file)).toContain(
      'rampart:posture.buckets.backups.lifecycle.tiers[2].tier: "infrequent" must be colder',
    );
  });

  test("object-lock days shorter than the backup retention", () => {
    const file = variant("gcp-zurich", ["buckets", "backups", "objectLock", "days"], 7);
    expect(problem(file)).toBe(
      `${file}: rampart:posture.buckets.backups.objectLock.days: 7 is shorter than the backup retention (backups.retention.daily = 35 days); set it to at least 35 or lower the retention`,
    );
  });

  test("lifecycle expiry shorter than the promised retention", () => {
    const file = variant("gcp-zurich", ["buckets", "backups", "lifecycle", "expireDays"], 200);
    expect(problem(file)).toContain(
      "rampart:posture.buckets.backups.lifecycle.expireDays: 200 would delete backups the retention promises to keep (372 days)",
    );
  });

  test("RPO target no drill can meet", () => {
    const file = variant("gcp-zurich", ["drills", "rpoMinutes"], 60);
    expect(problem(file)).toContain(
      "rampart:posture.drills.rpoMinutes: 60 is shorter than the backup interval (240 minutes",
    );
  });

  test("invalid enum, bad recipient, missing required key", () => {
    expect(problem(variant("gcp-zurich", ["edge", "minTls"], "1.0"))).toContain(
      'rampart:posture.edge.minTls: "1.0" is not one of "1.2", "1.3"',
    );
    expect(problem(variant("local", ["backups", "recipients", 0], "AGE-SECRET-KEY-1XYZ"))).toContain(
      'rampart:posture.backups.recipients[0]: "AGE-SECRET-KEY-1XYZ" is not an age X25519 recipient',
    );
    expect(problem(variant("local", ["disclosure", "contact"], null, true))).toContain(
      "rampart:posture.disclosure.contact: is required",
    );
  });

  test("several problems are all reported at once", () => {
    const file = variant("gcp-zurich", ["backups"], { schedule: "nope", recipients: [], bogus: 1 });
    const text = problem(file);
    expect(text).toMatch(/3 problems|problems/);
    expect(text).toContain("rampart:posture.backups.schedule");
    expect(text).toContain("rampart:posture.backups.recipients");
    expect(text).toContain("rampart:posture.backups.bogus: unknown key");
  });

  test("HSTS preload without includeSubdomains", () => {
    const file = variant("gcp-zurich", ["edge", "hsts", "includeSubdomains"], false);
    expect(problem(file)).toContain("rampart:posture.edge.hsts.preload: HSTS preload requires");
  });

  test("cloud profile without regions or bucket names; external without a store", () => {
    expect(problem(variant("aws-frankfurt", ["regions"], null, true))).toContain(
      'rampart:posture.regions: is required for profile "aws"',
    );
    expect(problem(variant("aws-frankfurt", ["buckets", "backups", "name"], null, true))).toContain(
      "rampart:posture.buckets.backups.name: is required",
    );
    expect(problem(variant("local", ["backups", "store"], null, true))).toContain(
      'rampart:posture.backups.store: is required for profile "external"',
    );
  });

  test("missing stack file lists the known stacks; broken YAML names the line", () => {
    expect(problem("no-such-stack")).toMatch(
      /stacks\/Pulumi\.no-such-stack\.yaml: no such stack file[\s\S]*known stacks: .*gcp-zurich/,
    );
    const file = variant("local", ["name"], "x");
    writeFileSync(file, "config:\n  rampart:posture:\n    name: [unclosed\n");
    expect(problem(file)).toMatch(/line \d+/);
  });
});
