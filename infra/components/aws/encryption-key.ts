import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type KeyGrant, keyPolicy, policyJson } from "../../lib/iam.ts";

export interface EncryptionKeyArgs {
  /** Region the key lives in (KMS keys never leave their region). */
  region: string;
  /** What the key protects, shown in the console. */
  description: string;
  /** Alias without the `alias/` prefix, e.g. `fieldbook-data`. */
  alias: string;
  /** Rotation period (AWS accepts 90..2560 days). @default 365 */
  rotationDays?: number;
  /** The account id, for the key policy. */
  accountId: pulumi.Input<string>;
  /** Services allowed to use the key (CloudTrail, CloudWatch Logs, ...). @default [] */
  grants?: readonly KeyGrant[];
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/** AWS accepts rotation periods of 90..2560 days; the posture allows shorter (GCP does). */
export const awsRotationDays = (days: number) => Math.min(2560, Math.max(90, days));

/** A customer-managed KMS key with automatic rotation, a 30-day deletion window and an alias. */
export class EncryptionKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: EncryptionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:EncryptionKey", name, {}, opts);
    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        region: args.region,
        description: args.description,
        enableKeyRotation: true,
        rotationPeriodInDays: awsRotationDays(args.rotationDays ?? 365),
        deletionWindowInDays: 30,
        policy: policyJson(keyPolicy(args.accountId, args.grants ?? [])),
        tags: args.tags ?? {},
      },
      { parent: this, protect: true },
    );
    this.arn = this.key.arn;
    new aws.kms.Alias(
      `${name}-alias`,
      { region: args.region, name: `alias/${args.alias}`, targetKeyId: this.key.keyId },
      { parent: this },
    );
    this.registerOutputs({ arn: this.arn });
  }
}
