import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { OBJECT_DELETE_ACTIONS, objectsOf, policyDocument, policyJson } from "../../lib/iam.ts";

export interface BreakGlassRoleArgs {
  /** The account whose MFA-authenticated principals may assume the role. */
  accountId: pulumi.Input<string>;
  /** Buckets the role may delete from (the only principal the bucket policies let delete). */
  bucketArns: pulumi.Input<string>[];
  /** Session length: short on purpose. @default 3600 */
  maxSessionSeconds?: number;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/**
 * The one role the locked buckets let delete objects: assumable only with MFA, one-hour sessions,
 * every use recorded by CloudTrail. For incidents (poisoned backup, erasure request), never for jobs.
 */
export class BreakGlassRole extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: BreakGlassRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:BreakGlassRole", name, {}, opts);
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name,
        maxSessionDuration: args.maxSessionSeconds ?? 3600,
        assumeRolePolicy: policyJson(
          policyDocument({
            Sid: "AccountPrincipalsWithMfa",
            Effect: "Allow",
            Principal: { AWS: pulumi.interpolate`arn:aws:iam::${args.accountId}:root` },
            Action: ["sts:AssumeRole"],
            Condition: { Bool: { "aws:MultiFactorAuthPresent": true } },
          }),
        ),
        tags: args.tags ?? {},
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: policyJson(
          policyDocument({
            Sid: "DeleteLockedObjects",
            Effect: "Allow",
            Action: [
              ...OBJECT_DELETE_ACTIONS,
              "s3:GetObject",
              "s3:GetObjectVersion",
              "s3:ListBucketVersions",
            ],
            Resource: args.bucketArns.flatMap((arn) => [arn, objectsOf(arn)]),
          }),
        ),
      },
      { parent: this },
    );
    this.arn = role.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
