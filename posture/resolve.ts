import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { PostureInput } from "./schema/index.ts";

export type ObjectLock = { mode: "governance" | "compliance"; days: number };
type ResolvedBucket = Omit<PostureInput["buckets"]["backups"], "objectLock"> & {
  objectLock: ObjectLock | null;
};

/** The validated posture with every default and derived value filled in. Frozen. */
export type Posture = Omit<PostureInput, "buckets" | "regions" | "secrets"> & {
  regions: { allowed: string[]; primary: string; storage: string };
  buckets: { backups: ResolvedBucket; evidence: ResolvedBucket; uploads: ResolvedBucket | null };
  secrets: {
    store: string;
    ageIdentity: string;
    /**
     * Where rotation publishes the current age recipients (public keys) for the backup job, when the posture
     * rotates the age identity (rotation.secrets[ageIdentity].kind = age-identity); otherwise null.
     */
    recipientsSecret: string | null;
  };
  /** Where the jobs read and write: backups root and evidence root (store URLs). */
  stores: { backups: string; evidence: string };
  /** The stack name and file the posture came from. */
  source: { stack: string; file: string };
};

/** "-recipients", not ".recipients": GCP Secret Manager ids allow only letters, digits, '-' and '_'. */
export const recipientsSecretName = (ageIdentity: string) => `${ageIdentity}-recipients`;

const trimSlash = (u: string) => u.replace(/\/+$/, "");
/** `file:relative/path` is relative to the project root (where Pulumi.yaml is); make it `file:///abs/path`. */
const absolutize = (u: string, root: string) =>
  /^file:(?!\/)/.test(u) ? pathToFileURL(resolve(root, u.slice("file:".length))).href : u;

/** `root` resolves `file:relative` URLs. @default the parent of the stack file's directory (stacks/..) */
export function resolvePosture(
  p: PostureInput,
  source: Posture["source"],
  root = dirname(dirname(resolve(source.file))),
): Posture {
  const cloud = p.profile !== "external";
  const regions = p.regions
    ? { ...p.regions, storage: p.regions.storage ?? p.regions.primary }
    : { allowed: [], primary: "external", storage: "external" };
  const lockDefault = {
    backups: { mode: "governance", days: Math.max(1, p.backups.retention.daily) },
    evidence: { mode: "governance", days: p.monitoring.auditLogDays },
  } as const;
  const bucket = (role: "backups" | "evidence"): ResolvedBucket => {
    const b = p.buckets[role];
    return { ...b, objectLock: b.objectLock === undefined ? { ...lockDefault[role] } : b.objectLock };
  };
  const scheme = p.profile === "gcp" ? "gs" : "s3";
  const backupsStore = absolutize(
    trimSlash(p.backups.store ?? `${scheme}://${p.buckets.backups.name}/postgres`),
    root,
  );
  const evidenceStore =
    cloud && p.buckets.evidence.name
      ? `${scheme}://${p.buckets.evidence.name}/evidence`
      : `${backupsStore}/evidence`;
  const secretsStore =
    p.secrets.store ??
    (p.profile === "gcp"
      ? "gcpsm://"
      : p.profile === "aws"
        ? `awssm://${regions.primary}`
        : p.profile === "hetzner"
          ? "file:///etc/rampart/secrets.env"
          : "file:///etc/rampart/secrets.env");
  const uploads = p.buckets.uploads;
  return deepFreeze({
    ...p,
    regions,
    buckets: {
      backups: bucket("backups"),
      evidence: bucket("evidence"),
      uploads: uploads ? { ...uploads, objectLock: uploads.objectLock ?? null } : null,
    },
    secrets: {
      ...p.secrets,
      store: absolutize(secretsStore, root),
      recipientsSecret:
        p.rotation.secrets[p.secrets.ageIdentity]?.kind === "age-identity"
          ? recipientsSecretName(p.secrets.ageIdentity)
          : null,
    },
    stores: { backups: backupsStore, evidence: evidenceStore },
    source,
  });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
