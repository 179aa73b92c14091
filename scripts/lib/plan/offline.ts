// What `rampart plan` answers in place of the cloud: stack config with placeholder secrets, the few
// invokes the programs make, and computed outputs other resources depend on. Every answer is a
// recognisable placeholder, never a real value.
import { readFileSync } from "node:fs";
import * as gcp from "@pulumi/gcp";
import { parse } from "yaml";
import { tokenOf } from "../../../infra/policy/tokens.ts";
import type { Posture } from "../../../posture/index.ts";
import type { InvokeAnswers, Recorded } from "./record.ts";

export const PLACEHOLDER_SECRET = "offline-placeholder-secret";
export const OFFLINE_ACCOUNT = "000000000000";

/**
 * Secrets the programs require that stack files may not hold yet (set with `pulumi config set --secret`).
 * Planning never needs their values.
 */
const REQUIRED_SECRETS = ["rampart:originCertificate", "rampart:originPrivateKey"];

/** The stack file's `config:` as Pulumi hands it to the program: strings as is, objects as JSON, secrets as placeholders. */
export function stackConfig(p: Posture): Record<string, string> {
  const doc: unknown = parse(readFileSync(p.source.file, "utf8"));
  const raw = doc && typeof doc === "object" ? (doc as { config?: unknown }).config : undefined;
  const config: Record<string, string> = Object.fromEntries(
    REQUIRED_SECRETS.map((k) => [k, PLACEHOLDER_SECRET]),
  );
  if (raw && typeof raw === "object")
    for (const [key, value] of Object.entries(raw)) {
      const secure = value && typeof value === "object" && "secure" in value;
      config[key] = secure ? PLACEHOLDER_SECRET : typeof value === "string" ? value : JSON.stringify(value);
    }
  return config;
}

export function offlineInvokes(p: Posture): InvokeAnswers {
  const region = p.regions.primary;
  return {
    "cloudflare:index/getZone:getZone": (a) => ({
      id: `offline-zone-${String(p.edge?.domain ?? JSON.stringify(a))}`,
    }),
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": () => ({
      emailAddress: `service-${OFFLINE_ACCOUNT}@gs-project-accounts.iam.gserviceaccount.com`,
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
      accountId: OFFLINE_ACCOUNT,
      arn: `arn:aws:iam::${OFFLINE_ACCOUNT}:root`,
      userId: "offline",
    }),
    "aws:index/getRegion:getRegion": () => ({ name: region, region, id: region }),
    "aws:index/getPartition:getPartition": () => ({
      partition: "aws",
      dnsSuffix: "amazonaws.com",
      id: "aws",
    }),
  };
}

const SERVICE_IDENTITY = tokenOf(gcp.projects.ServiceIdentity);
const SERVICE_ACCOUNT = tokenOf(gcp.serviceaccount.Account);

/** Computed outputs some resources feed into others: every ARN, and IAM members need an email. */
export function offlineOutputs(r: Recorded): Record<string, unknown> {
  const arn = `arn:offline:${r.type}:${r.id}`;
  if (r.type === SERVICE_IDENTITY) {
    const email = `service-${OFFLINE_ACCOUNT}@${String(r.inputs.service)}`;
    return { arn, email, member: `serviceAccount:${email}` };
  }
  if (r.type === SERVICE_ACCOUNT) {
    const email = `${String(r.inputs.accountId)}@offline.iam.gserviceaccount.com`;
    return { arn, email, member: `serviceAccount:${email}` };
  }
  return { arn };
}
