import { describe, expect, test } from "vitest";
import { CLAIMS, claimsFor, describeCron, loadPosture, notApplicable } from "../../posture/index.ts";
import { ROOT, variant } from "./fixtures.ts";

const byId = (stack: string) => new Map(claimsFor(loadPosture(stack, ROOT)).map((c) => [c.id, c]));

describe("claims catalog", () => {
  test("ids are unique and stable-looking; every claim has at least one proof", () => {
    const ids = CLAIMS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CLAIMS) {
      expect(c.id).toMatch(/^[a-z]+\.[a-z0-9-]+$/);
      expect(c.proofs.length).toBeGreaterThan(0);
    }
  });

  test("every claim is either made or reported not applicable, for every stack", () => {
    for (const stack of ["local", "gcp-zurich", "gcp-mumbai", "aws-frankfurt", "hetzner-nuremberg"]) {
      const p = loadPosture(stack, ROOT);
      const made = claimsFor(p).map((c) => c.id);
      expect([...made, ...notApplicable(p)].sort()).toEqual(CLAIMS.map((c) => c.id).sort());
    }
  });

  test("sentences are rendered from the Zurich posture's values", () => {
    const c = byId("gcp-zurich");
    expect(c.get("residency.region")?.sentence).toBe(
      "All production workloads and data, backups included, stay in europe-west6.",
    );
    expect(c.get("edge.tls-min")?.sentence).toBe(
      "Connections to numezis.com require TLS 1.3 or newer, with TLS 1.3 enabled.",
    );
    expect(c.get("edge.hsts")?.sentence).toBe(
      "Browsers are told to use HTTPS only (HSTS, max-age 63072000 seconds, includeSubDomains, preload).",
    );
    expect(c.get("backup.frequency")?.sentence).toBe("The Postgres database is backed up every 4 hours.");
    expect(c.get("backup.retention")?.sentence).toBe(
      "Backups are kept: every backup for 48 hours, one a day for 35 days, one a week for 8 weeks and one a month for 12 months (up to 372 days).",
    );
    expect(c.get("storage.object-lock")?.sentence).toBe(
      "Backups cannot be altered or deleted by anyone for 35 days (compliance lock); audit evidence for 3650 days.",
    );
    expect(c.get("storage.lifecycle")?.sentence).toBe(
      "Backups move to infrequent storage after 30 days, cold storage after 90 days and archive storage after 180 days, and are deleted after 400 days.",
    );
    expect(c.get("encryption.key-rotation")?.sentence).toBe(
      "Encryption keys are rotated automatically at least every 90 days.",
    );
    expect(c.get("drill.frequency")?.sentence).toBe(
      "A full restore of the latest backup is rehearsed monthly on day 1 at 05:00 UTC and recorded as evidence.",
    );
    expect(c.get("incident.notification")?.sentence).toBe(
      "Affected customers are notified within 72 hours of a confirmed breach, and EDÖB (Swiss FDPIC) within 72 hours where required.",
    );
    expect(c.get("rotation.database-passwords")?.sentence).toBe(
      "Database passwords are rotated at least every 30 days without downtime.",
    );
    expect(c.get("edge.rate-limit")?.sentence).toBe(
      "Requests are rate-limited per client IP: /login to 10 per 60 s and /api/ to 600 per 60 s.",
    );
  });

  test("a posture change changes the sentence", () => {
    const p = loadPosture(variant("gcp-zurich", ["backups", "schedule"], "30 */2 * * *"), ROOT);
    expect(claimsFor(p).find((c) => c.id === "backup.frequency")?.sentence).toBe(
      "The Postgres database is backed up every 2 hours.",
    );
  });

  test("claims that do not apply are not made: no edge, no cloud", () => {
    const local = byId("local");
    expect(local.has("edge.tls-min")).toBe(false);
    expect(local.has("residency.region")).toBe(false);
    expect(local.has("backup.frequency")).toBe(true);
    expect(byId("hetzner-nuremberg").get("database.private")?.sentence).toMatch(/private container network/);
    expect(byId("hetzner-nuremberg").has("database.pitr")).toBe(false);
  });

  test("proof kinds are resource, policy or evidence", () => {
    for (const c of CLAIMS)
      for (const p of c.proofs) expect(["resource", "policy", "evidence"]).toContain(p.kind);
    expect(CLAIMS.find((c) => c.id === "drill.rto")?.proofs.map((p) => p.kind)).toEqual(["evidence"]);
  });
});

describe("describeCron", () => {
  test.each([
    ["0 */4 * * *", "every 4 hours"],
    ["15 * * * *", "every hour"],
    ["*/10 * * * *", "every 10 minutes"],
    ["0 3 * * *", "daily at 03:00 UTC"],
    ["0 6 1 * *", "monthly on day 1 at 06:00 UTC"],
    ["30 4 * * 1", "weekly on Monday at 04:30 UTC"],
    ["0 9-17 * * 1-5", 'on the schedule "0 9-17 * * 1-5" (UTC)'],
  ])("%s → %s", (cron, text) => expect(describeCron(cron)).toBe(text));
});
