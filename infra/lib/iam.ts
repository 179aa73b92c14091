import * as pulumi from "@pulumi/pulumi";

/**
 * Typed IAM policy documents. Every policy in the AWS and self-hosted profiles is built from these
 * helpers and serialised with `policyJson`, so no hand-written JSON string can drift from what the
 * tests parse and check.
 */

/** `service:Operation`, e.g. "s3:PutObject" or "kms:Decrypt". Wildcards only where a helper says so. */
export type Action = `${string}:${string}`;
export type Arn = pulumi.Input<string>;

export type Principal =
  | "*"
  | { AWS: pulumi.Input<string> | pulumi.Input<string>[] }
  | { Service: string | string[] };

export type ConditionOperator =
  | "Bool"
  | "StringEquals"
  | "StringNotEquals"
  | "StringLike"
  | "ArnEquals"
  | "ArnNotEquals"
  | "ArnNotLike"
  | "NumericLessThan";
export type ConditionValue = pulumi.Input<string> | pulumi.Input<string>[] | boolean;
export type Condition = Partial<Record<ConditionOperator, Record<string, ConditionValue>>>;

export interface Statement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: Action[];
  Resource?: Arn[];
  /** Only in resource policies (bucket, key, trust); never in identity policies. */
  Principal?: Principal;
  Condition?: Condition;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

export const policyDocument = (...statements: Statement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

/** The JSON the provider receives. Unwraps nested Outputs (ARNs known only after creation). */
export const policyJson = (doc: PolicyDocument): pulumi.Output<string> =>
  pulumi.jsonStringify(pulumi.output(doc));

/** `arn:...:bucket/prefix*`: the objects of a bucket (optionally under a prefix). Plain in, plain out. */
export function objectsOf(bucketArn: Arn, prefix: pulumi.Input<string> = ""): pulumi.Input<string> {
  return typeof bucketArn === "string" && typeof prefix === "string"
    ? `${bucketArn}/${prefix}*`
    : pulumi.interpolate`${bucketArn}/${prefix}*`;
}

export const allow = (Sid: string, Action: Action[], Resource: Arn[], Condition?: Condition): Statement =>
  Condition
    ? { Sid, Effect: "Allow", Action, Resource, Condition }
    : { Sid, Effect: "Allow", Action, Resource };

/** Trust policy: which AWS service may assume a role (ecs-tasks, scheduler, ...). */
export const assumableBy = (service: string): PolicyDocument =>
  policyDocument({
    Sid: "TrustService",
    Effect: "Allow",
    Action: ["sts:AssumeRole"],
    Principal: { Service: `${service}.amazonaws.com` },
  });

/** Bucket policy: refuse every request that is not over TLS (covers the bucket and its objects). */
export const denyInsecureTransport = (bucketArn: Arn): Statement => ({
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: ["s3:*"],
  Resource: [bucketArn, objectsOf(bucketArn)],
  Condition: { Bool: { "aws:SecureTransport": false } },
});

/** Every way to destroy an object version or shorten its lock. */
export const OBJECT_DELETE_ACTIONS: readonly Action[] = [
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
  "s3:BypassGovernanceRetention",
  "s3:PutObjectRetention",
];

/**
 * Bucket policy: nobody but the break-glass role deletes objects (or bypasses governance locks).
 * Lifecycle expiry is done by S3 itself and is not subject to bucket policies.
 */
export const denyDeleteExcept = (bucketArn: Arn, breakGlassRoleArn: Arn): Statement => ({
  Sid: "DenyDeleteExceptBreakGlass",
  Effect: "Deny",
  Principal: "*",
  Action: [...OBJECT_DELETE_ACTIONS],
  Resource: [objectsOf(bucketArn)],
  Condition: { ArnNotEquals: { "aws:PrincipalArn": breakGlassRoleArn } },
});

/** Bucket policy: the bucket itself cannot be deleted (or stripped of its policy) through the API. */
export const denyBucketDeletion = (bucketArn: Arn): Statement => ({
  Sid: "DenyBucketDeletion",
  Effect: "Deny",
  Principal: "*",
  Action: ["s3:DeleteBucket", "s3:DeleteBucketPolicy"],
  Resource: [bucketArn],
});

/** S3 may only use the key on the caller's behalf: `kms:*` through any other path is refused. */
const viaS3 = (region: string): Condition => ({
  StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` },
});

/** What an identity policy on one bucket is scoped to: the bucket, its key if any, a key prefix. */
export type BucketScope = { bucketArn: Arn; keyArn?: Arn; region: string; prefix?: string };

/** ListBucket limited to names under `prefix` (no condition for the whole bucket). */
const listingUnder = (prefix: string): Condition | undefined =>
  prefix ? { StringLike: { "s3:prefix": [`${prefix}*`] } } : undefined;

/** The bucket key statement, only when the bucket has a customer key; S3 uses it on the caller's behalf. */
const keyViaS3 = (o: BucketScope, sid: string, actions: Action[]): Statement[] =>
  o.keyArn ? [allow(sid, actions, [o.keyArn], viaS3(o.region))] : [];

/**
 * Identity policy: write new objects under `prefix`, list names there, nothing else. No GetObject,
 * no Delete*. SSE-KMS multipart uploads need GenerateDataKey and Decrypt on the bucket key, allowed
 * only via S3 in `region` — S3 refuses GetObject to this role, so the Decrypt cannot read a backup.
 */
export function allowPutOnly(o: BucketScope): Statement[] {
  const prefix = o.prefix ?? "";
  return [
    allow("PutObjects", ["s3:PutObject", "s3:AbortMultipartUpload"], [objectsOf(o.bucketArn, prefix)]),
    allow("ListNames", ["s3:ListBucket"], [o.bucketArn], listingUnder(prefix)),
    ...keyViaS3(o, "EncryptViaS3", ["kms:GenerateDataKey", "kms:Decrypt"]),
  ];
}

/** Identity policy: read (every version) and list under `prefix`, decrypt with the bucket's key. */
export function allowReadDecrypt(o: BucketScope): Statement[] {
  const prefix = o.prefix ?? "";
  return [
    allow("ReadObjects", ["s3:GetObject", "s3:GetObjectVersion"], [objectsOf(o.bucketArn, prefix)]),
    allow("ListObjects", ["s3:ListBucket", "s3:ListBucketVersions"], [o.bucketArn], listingUnder(prefix)),
    ...keyViaS3(o, "DecryptViaS3", ["kms:Decrypt"]),
  ];
}

/** Identity policy: read and write objects under `prefix` (application uploads). No deletes. */
export function allowReadWrite(o: BucketScope): Statement[] {
  const prefix = o.prefix ?? "";
  return [
    allow(
      "ReadWriteObjects",
      ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
      [objectsOf(o.bucketArn, prefix)],
    ),
    allow("ListObjects", ["s3:ListBucket"], [o.bucketArn]),
    ...keyViaS3(o, "UseKeyViaS3", ["kms:GenerateDataKey", "kms:Decrypt"]),
  ];
}

/** Identity policy: read named secrets (and decrypt them with their key). */
export const allowSecretsRead = (secretArns: Arn[], keyArn?: Arn): Statement[] => [
  allow("ReadSecrets", ["secretsmanager:GetSecretValue"], secretArns),
  ...(keyArn ? [allow("DecryptSecrets", ["kms:Decrypt"], [keyArn])] : []),
];

/** Every action in a document, for audits and tests. */
export const actionsOf = (doc: { Statement: { Effect: string; Action: string[] }[] }, effect = "Allow") =>
  doc.Statement.filter((s) => s.Effect === effect).flatMap((s) => s.Action);

/** A service that may use a KMS key (CloudTrail, CloudWatch Logs, SNS publishers, ...). */
export type KeyGrant = { service: string; actions: Action[]; condition?: Condition };

/**
 * Key policy: the account administers the key through IAM (the AWS default, without which the key is
 * unmanageable), and each named service may use it for the listed actions only.
 */
export const keyPolicy = (
  accountId: pulumi.Input<string>,
  grants: readonly KeyGrant[] = [],
): PolicyDocument =>
  policyDocument(
    {
      Sid: "AccountAdministersKeyViaIam",
      Effect: "Allow",
      Principal: { AWS: pulumi.interpolate`arn:aws:iam::${accountId}:root` },
      Action: ["kms:*"],
      Resource: ["*"],
    },
    ...grants.map(
      (g): Statement => ({
        Sid: `Service${g.service.split(".")[0]?.replace(/[^A-Za-z0-9]/g, "") ?? ""}`,
        Effect: "Allow",
        Principal: { Service: g.service },
        Action: g.actions,
        Resource: ["*"],
        ...(g.condition ? { Condition: g.condition } : {}),
      }),
    ),
  );
