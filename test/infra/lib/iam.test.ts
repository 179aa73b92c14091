import { describe, expect, it } from "vitest";
import {
  allowPutOnly,
  allowReadDecrypt,
  assumableBy,
  denyBucketDeletion,
  denyDeleteExcept,
  denyInsecureTransport,
  keyPolicy,
  policyDocument,
} from "../../../infra/lib/iam.ts";

const bucket = "arn:aws:s3:::acme-backups";
const role = "arn:aws:iam::123456789012:role/acme-break-glass";
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as { Statement: Record<string, unknown>[] };

describe("iam helpers", () => {
  it("denyInsecureTransport covers the bucket and its objects", () => {
    expect(plain(denyInsecureTransport(bucket))).toEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:*"],
      Resource: [bucket, `${bucket}/*`],
      Condition: { Bool: { "aws:SecureTransport": false } },
    });
  });

  it("denyDeleteExcept exempts only the break-glass role", () => {
    const s = plain(denyDeleteExcept(bucket, role)) as unknown as Record<string, unknown>;
    expect(s.Effect).toBe("Deny");
    expect(s.Action).toEqual([
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:BypassGovernanceRetention",
      "s3:PutObjectRetention",
    ]);
    expect(s.Condition).toEqual({ ArnNotEquals: { "aws:PrincipalArn": role } });
    expect(plain(denyBucketDeletion(bucket)) as unknown).toMatchObject({
      Effect: "Deny",
      Action: ["s3:DeleteBucket", "s3:DeleteBucketPolicy"],
    });
  });

  it("allowPutOnly never grants read or delete; allowReadDecrypt does read", () => {
    const put = plain(
      policyDocument(
        ...allowPutOnly({ bucketArn: bucket, keyArn: "k", region: "eu-central-1", prefix: "pg/" }),
      ),
    );
    const actions = put.Statement.flatMap((s) => s.Action as string[]);
    expect(actions).toEqual([
      "s3:PutObject",
      "s3:AbortMultipartUpload",
      "s3:ListBucket",
      "kms:GenerateDataKey",
      "kms:Decrypt",
    ]);
    expect(put.Statement[1]?.Condition).toEqual({ StringLike: { "s3:prefix": ["pg/*"] } });
    const read = plain(policyDocument(...allowReadDecrypt({ bucketArn: bucket, region: "eu-central-1" })));
    expect(read.Statement.flatMap((s) => s.Action as string[])).toContain("s3:GetObject");
  });

  it("trust and key policies", () => {
    expect(plain(assumableBy("ecs-tasks")).Statement[0]).toMatchObject({
      Principal: { Service: "ecs-tasks.amazonaws.com" },
      Action: ["sts:AssumeRole"],
    });
    const kp = keyPolicy("123456789012", [
      { service: "cloudtrail.amazonaws.com", actions: ["kms:GenerateDataKey*"] },
    ]);
    expect(kp.Statement.map((s) => s.Sid)).toEqual(["AccountAdministersKeyViaIam", "Servicecloudtrail"]);
  });
});
