import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Posture } from "../../../posture/index.ts";

export interface SecretSetArgs {
  /** Region the secrets live in (no replicas: they stay in the posture's region). */
  region: string;
  /** Secret names (posture.rotation.secrets keys, the age identity, the Sentry DSN). Values are set by `rampart rotate`. */
  names: readonly string[];
  /** CMK encrypting the secrets. */
  kmsKeyArn: pulumi.Input<string>;
  /** Days a deleted secret stays recoverable. @default 30 */
  recoveryWindowDays?: number;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/** Every secret a posture names, once: rotated secrets, the age identity (and its published recipients), the Sentry DSN. */
export function secretNames(p: Posture): string[] {
  const names = [...Object.keys(p.rotation.secrets), p.secrets.ageIdentity];
  if (p.secrets.recipientsSecret) names.push(p.secrets.recipientsSecret);
  if (p.monitoring.sentryDsnSecret) names.push(p.monitoring.sentryDsnSecret);
  return [...new Set(names)].sort();
}

/** Secrets Manager entries (no values: Pulumi never holds them), encrypted with the CMK. */
export class SecretSet extends pulumi.ComponentResource {
  readonly arns: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: SecretSetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:SecretSet", name, {}, opts);
    for (const secret of args.names) {
      const s = new aws.secretsmanager.Secret(
        `${name}-${secret}`,
        {
          region: args.region,
          name: secret,
          kmsKeyId: args.kmsKeyArn,
          recoveryWindowInDays: args.recoveryWindowDays ?? 30,
          tags: args.tags ?? {},
        },
        { parent: this, protect: true },
      );
      this.arns[secret] = s.arn;
    }
    this.registerOutputs({ arns: this.arns });
  }
}
