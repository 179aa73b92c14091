import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** A secret the stack holds: its name and, when rotated, the rotation interval. */
export type SecretSpec = { name: string; rotationDays?: number };

const DAY_SECONDS = 86_400;

/** First rotation notification: one interval from now, on the second (Secret Manager wants RFC 3339 UTC). */
export const firstRotation = (days: number, now = new Date()) =>
  new Date(Math.floor(now.getTime() / 1000) * 1000 + days * DAY_SECONDS * 1000).toISOString();

export interface RegionalSecretsArgs {
  /** The only region secret payloads are stored in (user-managed replication). Required. */
  region: string;
  /** Secrets to create (values are added by `rampart rotate`/`pulumi config`, never by this program). */
  secrets: readonly SecretSpec[];
  /** KMS key id for CMEK on every replica. The Secret Manager service agent must hold encrypter/decrypter on it. */
  kmsKeyName: pulumi.Input<string>;
  /** Secret Manager service agent member (`serviceAccount:...`): publishes rotation events. */
  secretManagerAgent: pulumi.Input<string>;
  /** Name of the Pub/Sub topic for rotation events. */
  topicName: string;
  /** Resources the secrets wait for (the CMEK grant). @default [] */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Labels on every secret. @default {} */
  labels?: Record<string, string>;
}

/**
 * Secret Manager secrets replicated only to the region, CMEK-encrypted, with a rotation schedule that
 * publishes to a region-pinned Pub/Sub topic (the rotation job subscribes to it).
 */
export class RegionalSecrets extends pulumi.ComponentResource {
  readonly topic: gcp.pubsub.Topic;
  readonly secrets: Readonly<Record<string, gcp.secretmanager.Secret>>;

  constructor(name: string, args: RegionalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:gcp:RegionalSecrets", name, {}, opts);
    if (!args.region) throw new Error(`${name}: region is required (no default region)`);
    const parent = { parent: this };
    this.topic = new gcp.pubsub.Topic(
      `${name}-rotation-topic`,
      {
        name: args.topicName,
        messageStoragePolicy: { allowedPersistenceRegions: [args.region], enforceInTransit: true },
        messageRetentionDuration: `${7 * DAY_SECONDS}s`,
        labels: args.labels ?? {},
      },
      parent,
    );
    const publisher = new gcp.pubsub.TopicIAMMember(
      `${name}-rotation-publisher`,
      { topic: this.topic.name, role: "roles/pubsub.publisher", member: args.secretManagerAgent },
      parent,
    );
    const secrets: Record<string, gcp.secretmanager.Secret> = {};
    for (const s of args.secrets)
      secrets[s.name] = new gcp.secretmanager.Secret(
        `${name}-${s.name}`,
        {
          secretId: s.name,
          replication: {
            userManaged: {
              replicas: [
                { location: args.region, customerManagedEncryption: { kmsKeyName: args.kmsKeyName } },
              ],
            },
          },
          ...(s.rotationDays
            ? {
                rotation: {
                  rotationPeriod: `${s.rotationDays * DAY_SECONDS}s`,
                  nextRotationTime: firstRotation(s.rotationDays),
                },
                topics: [{ name: this.topic.id }],
              }
            : {}),
          labels: args.labels ?? {},
        },
        {
          parent: this,
          dependsOn: [publisher, ...(args.dependsOn ?? [])],
          // Secret Manager advances nextRotationTime itself; re-applying the first one would rewind it.
          ignoreChanges: ["rotation.nextRotationTime"],
          protect: true,
        },
      );
    this.secrets = secrets;
    this.registerOutputs({ topic: this.topic.id });
  }

  /** The secret named `secretName`; a missing one is a wiring bug in the profile. */
  secret(secretName: string): gcp.secretmanager.Secret {
    const s = this.secrets[secretName];
    if (!s) throw new Error(`no secret "${secretName}" (have: ${Object.keys(this.secrets).join(", ")})`);
    return s;
  }
}
