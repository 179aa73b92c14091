// backup.least-privilege: no job identity can delete backups (or shorten their lock). Only a role whose
// name says break-glass may.
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import { OBJECT_DELETE_ACTIONS } from "../../lib/iam.ts";
import { checker } from "../finding.ts";
import { at, json, list, records, str } from "../props.ts";
import { tokenOf } from "../tokens.ts";
import type { Finding, ResourceRule, StackRule, Subject } from "../types.ts";

const T = {
  rolePolicy: tokenOf(aws.iam.RolePolicy),
  policy: tokenOf(aws.iam.Policy),
  userPolicy: tokenOf(aws.iam.UserPolicy),
  attachment: tokenOf(aws.iam.RolePolicyAttachment),
  bucketMember: tokenOf(gcp.storage.BucketIAMMember),
  bucketBinding: tokenOf(gcp.storage.BucketIAMBinding),
  projectMember: tokenOf(gcp.projects.IAMMember),
} as const;

/** Actions that destroy a backup or its protection. */
export const DESTRUCTIVE = [
  ...OBJECT_DELETE_ACTIONS,
  "s3:DeleteBucket",
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketObjectLockConfiguration",
  "s3:PutBucketPolicy",
];
/** GCP roles that include storage.objects.delete (or more). */
export const GCP_DELETE_ROLES = [
  "roles/storage.admin",
  "roles/storage.objectAdmin",
  "roles/storage.legacyBucketOwner",
  "roles/storage.legacyBucketWriter",
  "roles/storage.legacyObjectOwner",
  "roles/owner",
  "roles/editor",
];
const BROAD_AWS_POLICIES = /(AdministratorAccess|PowerUserAccess|AmazonS3FullAccess)$/;

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
const breakGlass = (r: Subject, ...more: unknown[]) =>
  [r.name, ...more.map(String)].some((s) => /break-?glass/i.test(s));

/** Destructive actions an identity policy document allows (NotAction allows everything it does not list). */
export function destructiveAllowed(doc: unknown): string[] {
  return records(at(json(doc), "Statement"))
    .filter((s) => s.Effect === "Allow")
    .flatMap((s) => {
      if (s.NotAction !== undefined) {
        const not = list(s.NotAction).map((a) => glob(String(a)));
        return DESTRUCTIVE.filter((d) => !not.some((g) => g.test(d)));
      }
      const allowed = list(s.Action).map((a) => glob(String(a)));
      return DESTRUCTIVE.filter((d) => allowed.some((g) => g.test(d)));
    });
}

export const awsJobPolicies: ResourceRule = {
  kind: "resource",
  name: "backup.least-privilege.aws-policy",
  claim: "backup.least-privilege",
  description: "AWS identity policies of job roles allow no delete on backups",
  types: [T.rolePolicy, T.policy, T.userPolicy, T.attachment],
  check: (r) => {
    const expect = checker(awsJobPolicies, r);
    if (breakGlass(r, r.props.role, r.props.name)) return [];
    if (r.type === T.attachment) {
      const arn = str(r.props.policyArn) ?? "";
      return [
        expect("policyArn", arn, !BROAD_AWS_POLICIES.test(arn), {
          proves: `attaches ${arn}`,
          problem: `${arn} allows deleting backups`,
          fix: "attach a policy built with infra/lib/iam.ts allowPutOnly/allowReadDecrypt instead",
        }),
      ];
    }
    const bad = [...new Set(destructiveAllowed(r.props.policy))];
    return [
      expect("policy.Statement[Allow].Action", bad.length ? bad : "no destructive action", bad.length === 0, {
        proves: "allows no delete, lock bypass or lifecycle change on storage",
        problem: `allows ${bad.join(", ")}: a compromised job could destroy backups`,
        fix: "grant only s3:PutObject/ListBucket (backup) or GetObject (restore/drill); see infra/lib/iam.ts",
      }),
    ];
  },
};

export const gcpJobGrants: ResourceRule = {
  kind: "resource",
  name: "backup.least-privilege.gcp-grant",
  claim: "backup.least-privilege",
  description: "GCP grants to service accounts include no storage delete permission",
  types: [T.bucketMember, T.bucketBinding, T.projectMember],
  check: (r) => {
    const members = [...list(r.props.member), ...list(r.props.members)].map(String);
    if (breakGlass(r, ...members)) return [];
    if (r.type === T.projectMember && !members.some((m) => m.startsWith("serviceAccount:"))) return [];
    const role = str(r.props.role) ?? "";
    return [
      checker(gcpJobGrants, r)("role", role, !GCP_DELETE_ROLES.includes(role), {
        proves: `${members.join(", ")} gets ${role} (no delete)`,
        problem: `${role} lets ${members.join(", ")} delete objects`,
        fix: "grant roles/storage.objectCreator (backup) or roles/storage.objectViewer (restore/drill)",
      }),
    ];
  },
};

export const jobIdentitiesExist: StackRule = {
  kind: "stack",
  name: "backup.least-privilege.identities",
  claim: "backup.least-privilege",
  description: "the backup job has its own identity with its own grants",
  check: (rs) => {
    const grants = rs.filter(
      (r) =>
        Object.values(T).includes(r.type as never) &&
        /backup(?!s)/i.test(`${r.name} ${JSON.stringify(r.props)}`),
    );
    const out: Finding = checker(jobIdentitiesExist, null)(
      "(backup job grants)",
      grants.map((g) => g.name),
      grants.length > 0,
      {
        proves: `the backup job's grants: ${grants.map((g) => g.name).join(", ")}`,
        problem: "no IAM grant for a backup job identity: nothing shows what the backup job may do",
        fix: "give the backup job its own service account / role with put-only access",
      },
    );
    return [out];
  },
};

export const LEAST_PRIVILEGE_RULES = [awsJobPolicies, gcpJobGrants, jobIdentitiesExist];
