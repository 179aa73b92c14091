import { describe, expect, it } from "vitest";
import { backupStatements, drillStatements, storePrefix } from "../../../infra/components/aws/job-access.ts";
import { policyDocument } from "../../../infra/lib/iam.ts";
import { loadPosture } from "../../../posture/index.ts";

const posture = loadPosture("aws-frankfurt");
const resources = {
  region: "eu-central-1",
  backupsArn: "arn:aws:s3:::fieldbook-backups-fra",
  evidenceArn: "arn:aws:s3:::fieldbook-evidence-fra",
  keyArn: "arn:aws:kms:eu-central-1:123456789012:key/k",
  backupSecrets: ["arn:aws:secretsmanager:eu-central-1:123456789012:secret:sentry-dsn"],
  drillSecrets: ["arn:aws:secretsmanager:eu-central-1:123456789012:secret:rampart-age-identity"],
  dbConnectArn: "arn:aws:rds-db:eu-central-1:123456789012:dbuser:db-ABC/rampart_backup",
};
type Doc = {
  Statement: { Sid: string; Effect: string; Action: string[]; Resource: string[]; Condition?: unknown }[];
};
// Plain-string ARNs make the document plain data: this is exactly the JSON policyJson sends.
const json = (doc: ReturnType<typeof policyDocument>) => JSON.parse(JSON.stringify(doc)) as Doc;
const allowed = (d: Doc) => d.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action);

describe("job access", () => {
  it("derives the store prefix", () => {
    expect(storePrefix("s3://fieldbook-backups-fra/postgres")).toBe("postgres/");
    expect(storePrefix("s3://b")).toBe("");
    expect(storePrefix("s3://b/a/b/")).toBe("a/b/");
  });

  it("backup role: put only, no * actions, no Delete*, no GetObject; KMS only via S3 in the region", () => {
    const d = json(policyDocument(...backupStatements(posture, resources)));
    const a = allowed(d);
    expect(a).toEqual(expect.arrayContaining(["s3:PutObject", "rds-db:connect"]));
    expect(a.some((x) => x.includes("*"))).toBe(false);
    expect(
      a.some((x) => /^s3:DeleteObject/.test(x) || x === "s3:GetObject" || x === "s3:GetObjectVersion"),
    ).toBe(false);
    const put = d.Statement.find((s) => s.Sid === "BackupsPutObjects");
    expect(put?.Resource).toEqual(["arn:aws:s3:::fieldbook-backups-fra/postgres/*"]);
    const kms = d.Statement.find((s) => s.Sid === "BackupsEncryptViaS3");
    expect(kms?.Condition).toEqual({ StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" } });
    expect(d.Statement.map((s) => s.Sid).length).toBe(new Set(d.Statement.map((s) => s.Sid)).size);
  });

  it("drill role: reads and decrypts backups, reads the age identity, deletes nothing", () => {
    const d = json(policyDocument(...drillStatements(posture, resources)));
    const a = allowed(d);
    expect(a).toEqual(
      expect.arrayContaining([
        "s3:GetObject",
        "s3:GetObjectVersion",
        "kms:Decrypt",
        "secretsmanager:GetSecretValue",
      ]),
    );
    expect(a.some((x) => x.startsWith("s3:Delete"))).toBe(false);
    expect(d.Statement.find((s) => s.Sid === "BackupsReadObjects")?.Resource).toEqual([
      "arn:aws:s3:::fieldbook-backups-fra/postgres/*",
    ]);
  });

  it("a job without AWS secrets gets no secret statement and no kms:Decrypt outside S3", () => {
    for (const statements of [
      drillStatements(posture, { ...resources, drillSecrets: [] }),
      backupStatements(posture, { ...resources, backupSecrets: [] }),
    ]) {
      const d = json(policyDocument(...statements));
      expect(allowed(d)).not.toContain("secretsmanager:GetSecretValue");
      for (const s of d.Statement.filter((s) => s.Action.some((a) => a.startsWith("kms:"))))
        expect(s.Condition, s.Sid).toEqual({
          StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" },
        });
      expect(d.Statement.every((s) => s.Resource.length > 0)).toBe(true);
    }
  });
});
