import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface SesDomainArgs {
  /** The sending domain (posture edge.domain). */
  domain: string;
  /** SES region (posture regions.storage). */
  region: string;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/**
 * The SES domain identity with Easy DKIM (2048-bit). Its ARN is what the email key may send as; the
 * three DKIM CNAMEs (`<token>._domainkey`) go into DNS, see README.md ("Self-hosted profile").
 */
export class SesDomain extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly dkimTokens: pulumi.Output<string[]>;

  constructor(name: string, args: SesDomainArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:SesDomain", name, {}, opts);
    const identity = new aws.sesv2.EmailIdentity(
      `${name}-identity`,
      {
        emailIdentity: args.domain,
        region: args.region,
        dkimSigningAttributes: { nextSigningKeyLength: "RSA_2048_BIT" },
        tags: args.tags ?? {},
      },
      { parent: this },
    );
    this.arn = identity.arn;
    this.dkimTokens = identity.dkimSigningAttributes.apply((d) => d?.tokens ?? []);
    this.registerOutputs({ arn: this.arn, dkimTokens: this.dkimTokens });
  }
}
