import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** KMS rotation period in the API's duration format. */
export const rotationPeriod = (days: number) => `${days * 86_400}s`;

export interface KmsKeysArgs {
  /** Region of the key ring; keys in a regional ring never leave it. Required: no default region. */
  location: string;
  /** One symmetric key per purpose (e.g. "sql", "storage", "secrets"), so a grant on one never opens another. */
  purposes: readonly string[];
  /** Automatic rotation period of every key, in days. @default 90 */
  rotationDays?: number;
  /** Labels on every key. @default {} */
  labels?: Record<string, string>;
  /** Key ring name (immutable, never reusable in GCP). */
  ringName: string;
}

/** A regional KMS key ring with one rotating, protected key per purpose (customer-managed encryption keys). */
export class KmsKeys extends pulumi.ComponentResource {
  readonly ring: gcp.kms.KeyRing;
  readonly keys: Readonly<Record<string, gcp.kms.CryptoKey>>;

  constructor(name: string, args: KmsKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:gcp:KmsKeys", name, {}, opts);
    if (!args.location) throw new Error(`${name}: location is required (no default region)`);
    // Key rings and keys cannot be deleted in GCP; destroying the Pulumi resource would only orphan
    // data encrypted with them, so they are protected like the data itself.
    const child = { parent: this, protect: true };
    this.ring = new gcp.kms.KeyRing(`${name}-ring`, { name: args.ringName, location: args.location }, child);
    const keys: Record<string, gcp.kms.CryptoKey> = {};
    for (const purpose of args.purposes)
      keys[purpose] = new gcp.kms.CryptoKey(
        `${name}-${purpose}`,
        {
          name: purpose,
          keyRing: this.ring.id,
          purpose: "ENCRYPT_DECRYPT",
          rotationPeriod: rotationPeriod(args.rotationDays ?? 90),
          versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: "SOFTWARE" },
          labels: args.labels ?? {},
        },
        child,
      );
    this.keys = keys;
    this.registerOutputs({ ring: this.ring.id });
  }

  /** The key for a purpose; a missing one is a wiring bug in the profile. */
  key(purpose: string): gcp.kms.CryptoKey {
    const k = this.keys[purpose];
    if (!k)
      throw new Error(`no KMS key for purpose "${purpose}" (have: ${Object.keys(this.keys).join(", ")})`);
    return k;
  }
}

/** Let a service agent use a key (CMEK): encrypter/decrypter on that one key only. */
export function grantKeyUse(
  name: string,
  key: gcp.kms.CryptoKey,
  member: pulumi.Input<string>,
  parent: pulumi.Resource,
): gcp.kms.CryptoKeyIAMMember {
  return new gcp.kms.CryptoKeyIAMMember(
    name,
    { cryptoKeyId: key.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member },
    { parent },
  );
}
