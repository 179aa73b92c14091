import { describeCron } from "./cron.ts";
import type { Posture } from "./resolve.ts";
import { describeRetention, longestRetentionDays } from "./retention.ts";

/** How a claim is proven: a provisioned setting, a policy rule at preview/up time, or a job's recorded result. */
export type ProofKind = "resource" | "policy" | "evidence";
export type Proof = { kind: ProofKind; by: string };

export type ClaimDef = {
  /** Stable id: policy rules, evidence and the security page refer to it. Never rename. */
  id: string;
  title: string;
  proofs: readonly Proof[];
  /** Whether this posture makes the promise at all (e.g. no edge → no edge claims). */
  applies: (p: Posture) => boolean;
  /** The sentence for the security page, rendered from the posture's values. */
  sentence: (p: Posture) => string;
};

export type Claim = { id: string; title: string; sentence: string; proofs: readonly Proof[] };

const resource = (by: string): Proof => ({ kind: "resource", by });
const policy = (by: string): Proof => ({ kind: "policy", by });
const evidence = (by: string): Proof => ({ kind: "evidence", by });

const cloud = (p: Posture) => p.profile !== "external";
const managedDb = (p: Posture) => p.profile === "gcp" || p.profile === "aws";
const list = (xs: readonly string[]) =>
  xs.length <= 1 ? (xs[0] ?? "") : `${xs.slice(0, -1).join(", ")} and ${xs.at(-1)}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

const ROTATION_KINDS = {
  "postgres-password": ["rotation.database-passwords", "Database passwords"],
  "jwt-signing-key": ["rotation.signing-keys", "Token signing keys"],
  "age-identity": ["rotation.backup-keys", "Backup encryption keys"],
  "api-key": ["rotation.api-keys", "Third-party API keys"],
} as const;

function rotationClaim(kind: keyof typeof ROTATION_KINDS): ClaimDef {
  const [id, what] = ROTATION_KINDS[kind];
  const of = (p: Posture) => Object.values(p.rotation.secrets).filter((s) => s.kind === kind);
  return {
    id,
    title: `${what} rotated`,
    proofs: [evidence("rotation audit trail (rampart rotate --history)")],
    applies: (p) => of(p).length > 0,
    sentence: (p) => {
      const days = Math.max(...of(p).map((s) => s.intervalDays));
      const how =
        kind === "postgres-password"
          ? " without downtime"
          : kind === "jwt-signing-key"
            ? ", with an overlap so no valid session breaks"
            : kind === "age-identity"
              ? "; old keys are destroyed only after the last backup made with them has expired"
              : "";
      return `${what} are rotated at least every ${plural(days, "day")}${how}.`;
    },
  };
}

export const CLAIMS: readonly ClaimDef[] = [
  {
    id: "residency.region",
    title: "Data residency",
    proofs: [
      resource("every located resource's region/location"),
      policy("region pinning of every located resource"),
    ],
    applies: cloud,
    sentence: (p) =>
      p.regions.storage === p.regions.primary
        ? `All production workloads and data, backups included, stay in ${p.regions.primary}.`
        : `Production workloads run in ${p.regions.primary}; backups and files are stored in ${p.regions.storage}; nothing is placed outside ${list(p.regions.allowed)}.`,
  },
  {
    id: "edge.tls-min",
    title: "Modern TLS only",
    proofs: [resource("Cloudflare min_tls_version and tls_1_3 zone settings"), policy("edge TLS settings")],
    applies: (p) => p.edge !== null,
    sentence: (p) =>
      `Connections to ${p.edge?.domain} require TLS ${p.edge?.minTls} or newer${p.edge?.tls13 ? ", with TLS 1.3 enabled" : ""}.`,
  },
  {
    id: "edge.https-only",
    title: "HTTPS only",
    proofs: [
      resource("Cloudflare always_use_https, automatic_https_rewrites and ssl=strict"),
      policy("edge TLS settings"),
    ],
    applies: (p) => p.edge !== null,
    sentence: () =>
      "Plain HTTP is redirected to HTTPS, and the edge verifies the origin's certificate (full strict).",
  },
  {
    id: "edge.hsts",
    title: "HSTS",
    proofs: [resource("Cloudflare security_header zone setting"), policy("HSTS settings")],
    applies: (p) => p.edge !== null && p.edge.hsts.maxAgeSeconds > 0,
    sentence: (p) => {
      const h = p.edge?.hsts;
      const extras = [h?.includeSubdomains ? "includeSubDomains" : "", h?.preload ? "preload" : ""].filter(
        Boolean,
      );
      return `Browsers are told to use HTTPS only (HSTS, max-age ${h?.maxAgeSeconds} seconds${extras.length ? `, ${extras.join(", ")}` : ""}).`;
    },
  },
  {
    id: "edge.dnssec",
    title: "DNSSEC",
    proofs: [resource("Cloudflare ZoneDnssec"), policy("DNSSEC enabled")],
    applies: (p) => p.edge?.dnssec === true,
    sentence: (p) => `DNS answers for ${p.edge?.domain} are signed (DNSSEC).`,
  },
  {
    id: "edge.waf",
    title: "Web application firewall",
    proofs: [resource("Cloudflare Ruleset in http_request_firewall_managed"), policy("managed WAF deployed")],
    applies: (p) => p.edge?.waf.managed === true,
    sentence: (p) =>
      `A web application firewall (Cloudflare managed rules${p.edge?.waf.owasp ? " and the OWASP core ruleset" : ""}) filters every request.`,
  },
  {
    id: "edge.rate-limit",
    title: "Rate limiting",
    proofs: [resource("Cloudflare Ruleset in http_ratelimit"), policy("rate limits for the posture's paths")],
    applies: (p) => (p.edge?.rateLimits.length ?? 0) > 0,
    sentence: (p) =>
      `Requests are rate-limited per client IP: ${list((p.edge?.rateLimits ?? []).map((r) => `${r.path} to ${r.requests} per ${r.periodSeconds} s`))}.`,
  },
  {
    id: "encryption.at-rest",
    title: "Encryption at rest",
    proofs: [
      resource("CMEK/KMS key on database, buckets, secrets and volumes"),
      policy("customer-managed encryption"),
    ],
    applies: cloud,
    sentence: (p) =>
      `Databases, file storage, secrets and backups are encrypted at rest with AES-256${p.encryption.customerManagedKeys ? " under keys we manage in a KMS" : ""}.`,
  },
  {
    id: "encryption.key-rotation",
    title: "Key rotation",
    proofs: [resource("KMS key rotation period"), policy("key rotation period")],
    applies: (p) => cloud(p) && p.encryption.customerManagedKeys,
    sentence: (p) =>
      `Encryption keys are rotated automatically at least every ${plural(p.encryption.kmsRotationDays, "day")}.`,
  },
  {
    id: "database.private",
    title: "Private database",
    proofs: [resource("database network settings"), policy("database privacy")],
    applies: cloud,
    sentence: (p) =>
      p.profile === "hetzner"
        ? "The database listens only on a private container network; it is not reachable from the internet."
        : "The database has no public IP address; only the application's private network reaches it.",
  },
  {
    id: "database.tls-only",
    title: "Database TLS",
    proofs: [resource("Cloud SQL sslMode / RDS rds.force_ssl"), policy("database TLS required")],
    applies: managedDb,
    sentence: () => "Connections to the database must use TLS.",
  },
  {
    id: "database.pitr",
    title: "Point-in-time recovery",
    proofs: [
      resource("database PITR / backup retention settings"),
      policy("PITR enabled with the posture's window"),
    ],
    applies: managedDb,
    sentence: (p) =>
      `The database can be restored to any point in the last ${plural(p.database.pitrDays, "day")}.`,
  },
  {
    id: "database.deletion-protection",
    title: "Deletion protection",
    proofs: [resource("deletion protection on the database"), policy("deletion protection on")],
    applies: (p) => managedDb(p) && p.database.deletionProtection,
    sentence: () =>
      "The production database is protected against deletion, by the cloud provider and by our deployment tooling.",
  },
  {
    id: "storage.versioned",
    title: "Versioned storage",
    proofs: [resource("bucket versioning"), policy("versioning on every bucket")],
    applies: cloud,
    sentence: (p) => {
      const kept = plural(
        p.buckets.uploads?.lifecycle.noncurrentExpireDays ?? p.buckets.backups.lifecycle.noncurrentExpireDays,
        "day",
      );
      // GCS cannot version a bucket under a retention policy; there the lock itself forbids overwrites.
      return p.profile === "gcp"
        ? `Locked buckets (backups, evidence) refuse every overwrite and delete; the others are versioned, and overwritten or deleted files are kept for ${kept}.`
        : `Every bucket is versioned; overwritten or deleted files are kept for ${kept}.`;
    },
  },
  {
    id: "storage.lifecycle",
    title: "Storage lifecycle",
    proofs: [
      resource("bucket lifecycle rules"),
      policy("lifecycle tiers and expiry not shorter than retention"),
    ],
    applies: (p) =>
      cloud(p) &&
      (p.buckets.backups.lifecycle.tiers.length > 0 || p.buckets.backups.lifecycle.expireDays !== undefined),
    sentence: (p) => {
      const l = p.buckets.backups.lifecycle;
      const steps = l.tiers.map((t) => `${t.tier} storage after ${t.afterDays} days`);
      const exp = l.expireDays === undefined ? "" : `, and are deleted after ${l.expireDays} days`;
      return `Backups move to ${list(steps) || "standard storage"}${exp}.`;
    },
  },
  {
    id: "storage.object-lock",
    title: "Immutable backups",
    proofs: [resource("S3 object lock / GCS retention policy"), policy("object lock covers the retention")],
    applies: (p) => cloud(p) && p.buckets.backups.objectLock !== null,
    sentence: (p) => {
      const b = p.buckets.backups.objectLock;
      const e = p.buckets.evidence.objectLock;
      return `Backups cannot be altered or deleted by anyone for ${plural(b?.days ?? 0, "day")} (${b?.mode} lock)${e ? `; audit evidence for ${plural(e.days, "day")}` : ""}.`;
    },
  },
  {
    id: "storage.public-access-blocked",
    title: "No public buckets",
    proofs: [resource("public access prevention / public access block"), policy("public access blocked")],
    applies: cloud,
    sentence: () => "No bucket can be made public: public access is blocked at the bucket level.",
  },
  {
    id: "storage.tls-only",
    title: "TLS-only storage",
    proofs: [
      resource("bucket policy denying aws:SecureTransport=false (GCS is HTTPS-only)"),
      policy("TLS-only bucket access"),
    ],
    applies: cloud,
    sentence: () => "Storage accepts only encrypted (TLS) connections.",
  },
  {
    id: "backup.frequency",
    title: "Backup frequency",
    proofs: [
      resource("backup job schedule"),
      policy("a backup schedule exists and matches the posture"),
      evidence("backup manifests (rampart backups list)"),
    ],
    applies: () => true,
    sentence: (p) => `The Postgres database is backed up ${describeCron(p.backups.schedule)}.`,
  },
  {
    id: "backup.encrypted",
    title: "Encrypted backups",
    proofs: [evidence("recipient fingerprints in every backup manifest")],
    applies: () => true,
    sentence: (p) =>
      `Backups are encrypted (age: X25519 and ChaCha20-Poly1305) before they leave the server, to ${plural(p.backups.recipients.length, "key")} that the backup system itself cannot decrypt with.`,
  },
  {
    id: "backup.integrity",
    title: "Verified backups",
    proofs: [evidence("SHA-256 and per-table row counts in every backup manifest")],
    applies: () => true,
    sentence: () => "Every backup is checksummed (SHA-256) and its checksum is verified before any restore.",
  },
  {
    id: "backup.retention",
    title: "Backup retention",
    proofs: [
      policy("lifecycle expiry and object lock cover the retention"),
      evidence("retention runs (rampart backups prune)"),
    ],
    applies: () => true,
    sentence: (p) =>
      `Backups are kept: ${describeRetention(p.backups.retention)} (up to ${longestRetentionDays(p.backups.retention)} days).`,
  },
  {
    id: "backup.least-privilege",
    title: "Least-privilege backup jobs",
    proofs: [
      resource("IAM of the backup and drill job identities"),
      policy("no delete on backups for job identities"),
    ],
    applies: cloud,
    sentence: () =>
      "The backup job can add backups but cannot read or delete them; only the restore drill can decrypt them.",
  },
  {
    id: "drill.frequency",
    title: "Restore drills",
    proofs: [resource("drill job schedule"), evidence("drill records (rampart drill history)")],
    applies: () => true,
    sentence: (p) =>
      `A full restore of the latest backup is rehearsed ${describeCron(p.drills.schedule)} and recorded as evidence.`,
  },
  {
    id: "drill.rto",
    title: "Recovery time objective",
    proofs: [evidence("RTO measured by every drill")],
    applies: () => true,
    sentence: (p) =>
      `A full restore, verified, completes within ${plural(p.drills.rtoMinutes, "minute")} (measured in every drill).`,
  },
  {
    id: "drill.rpo",
    title: "Recovery point objective",
    proofs: [evidence("RPO measured by every drill")],
    applies: () => true,
    sentence: (p) =>
      `At most ${plural(p.drills.rpoMinutes, "minute")} of data can be lost in a disaster (measured in every drill).`,
  },
  rotationClaim("postgres-password"),
  rotationClaim("jwt-signing-key"),
  rotationClaim("age-identity"),
  rotationClaim("api-key"),
  {
    id: "monitoring.uptime",
    title: "Uptime monitoring",
    proofs: [resource("uptime checks"), policy("uptime checks for the posture's paths")],
    applies: (p) => cloud(p) && p.edge !== null && p.monitoring.uptime.paths.length > 0,
    sentence: (p) =>
      `${list(p.monitoring.uptime.paths)} ${p.monitoring.uptime.paths.length === 1 ? "is" : "are"} checked from outside every ${p.monitoring.uptime.periodSeconds} seconds.`,
  },
  {
    id: "monitoring.alerts",
    title: "Alerting",
    proofs: [
      resource("alert policies and notification channels"),
      policy("alerts routed to the posture's emails"),
    ],
    applies: (p) => cloud(p) && p.monitoring.alertEmails.length > 0,
    sentence: (p) =>
      `Outages, database saturation, failed jobs and stale backups (none for ${p.monitoring.backupFreshnessMinutes} minutes) page the on-call team.`,
  },
  {
    id: "monitoring.error-tracking",
    title: "Error and job tracking",
    proofs: [evidence("Sentry Crons check-ins of backup and drill jobs")],
    applies: (p) => p.monitoring.sentryDsnSecret !== null,
    sentence: () =>
      "Errors and missed or failed scheduled jobs are reported to Sentry, with credentials scrubbed.",
  },
  {
    id: "audit.logs",
    title: "Audit logs",
    proofs: [
      resource("data-access audit logs and log bucket retention / CloudTrail"),
      policy("audit logging on"),
    ],
    applies: cloud,
    sentence: (p) =>
      `Administrative and data-access audit logs are kept for ${plural(p.monitoring.auditLogDays, "day")}.`,
  },
  {
    id: "incident.triage",
    title: "Incident triage",
    proofs: [evidence("incident runbook records")],
    applies: () => true,
    sentence: (p) =>
      `Security incidents are triaged within ${plural(p.incident.triageMinutes, "minute")} of detection.`,
  },
  {
    id: "incident.notification",
    title: "Breach notification",
    proofs: [evidence("incident runbook records")],
    applies: () => true,
    sentence: (p) =>
      `Affected customers are notified within ${plural(p.incident.notifyCustomersHours, "hour")} of a confirmed breach` +
      (p.incident.regulator
        ? `, and ${p.incident.regulator} within ${plural(p.incident.notifyRegulatorHours, "hour")} where required.`
        : "."),
  },
  {
    id: "disclosure.contact",
    title: "Vulnerability disclosure",
    proofs: [evidence("security.txt and the generated security page")],
    applies: () => true,
    sentence: (p) =>
      `Report vulnerabilities to ${p.disclosure.contact}; we acknowledge within ${plural(p.disclosure.acknowledgeHours, "hour")} and fix critical issues within ${plural(p.disclosure.fixCriticalDays, "day")}.`,
  },
];

/** The claims this posture makes, with rendered sentences. */
export function claimsFor(p: Posture): Claim[] {
  return CLAIMS.filter((c) => c.applies(p)).map((c) => ({
    id: c.id,
    title: c.title,
    sentence: c.sentence(p),
    proofs: c.proofs,
  }));
}

/** Claims this posture does not make (not applicable), for "never silently absent" reports. */
export function notApplicable(p: Posture): string[] {
  return CLAIMS.filter((c) => !c.applies(p)).map((c) => c.id);
}
