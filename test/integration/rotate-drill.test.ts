import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { runCli } from "../support/cli.ts";
import { createTempDatabase, pgUrl, type TempDatabase } from "../support/services.ts";
import { rotationStack } from "../support/stacks.ts";
import { tempDirSync } from "../support/temp.ts";

const ID = "rampart-age-identity";

/**
 * The drill after an age-identity rotation: a backup made before and one made after both restore, with
 * the identity read from the stack's secret store (as restore/drill do).

 */
describe("age identity rotation, then drill old and new backups", () => {
  let source: TempDatabase;
  let stack: string;
  beforeAll(async () => {
    source = await createTempDatabase("rampart_rotate_drill");
    await loadSampleDatabase(source.url);
    const dir = tempDirSync("rampart-rotate-drill-");
    stack = rotationStack(dir, { [ID]: { kind: "age-identity", intervalDays: 90 } });
  });
  afterAll(async () => {
    await source?.drop();
  });

  const backup = async () => {
    const r = await runCli(["backup", "--stack", stack, "--json"], { DATABASE_URL: source.url });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { id: string; encryption?: { recipients: { recipient: string }[] } };
  };
  const rotateKey = async () => {
    const r = await runCli(["rotate", ID, "--stack", stack], {});
    expect(r.code, r.stderr).toBe(0);
  };
  const recipients = async () => {
    const { currentRecipients } = await import("../../scripts/lib/rotation/age-identity.ts");
    const { loadPosture } = await import("../../posture/index.ts");
    return currentRecipients(loadPosture(stack));
  };
  const drill = async (id: string) => {
    const r = await runCli(["drill", "--stack", stack, "--backup", id, "--target", pgUrl(), "--json"], {});
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { outcome: string };
  };

  it("restores a backup from before and one from after the rotation", { timeout: 300_000 }, async () => {
    await rotateKey();
    const before = await recipients();
    const old = await backup();
    await rotateKey();
    const after = await recipients();
    expect(after).not.toEqual(before);
    const fresh = await backup();
    expect(fresh.id).not.toBe(old.id);
    expect((await drill(old.id)).outcome).toBe("passed");
    expect((await drill(fresh.id)).outcome).toBe("passed");
  });
});
