// database.private, database.tls-only, database.pitr, database.deletion-protection (Cloud SQL, RDS,
// and the self-hosted Postgres behind the Hetzner firewall).
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as hcloud from "@pulumi/hcloud";
import { checker, ofType } from "../finding.ts";
import { at, list, num, records, str } from "../props.ts";
import { tokenOf } from "../tokens.ts";
import type { Finding, ResourceRule, StackRule, Subject } from "../types.ts";

const T = {
  sql: tokenOf(gcp.sql.DatabaseInstance),
  rds: tokenOf(aws.rds.Instance),
  rdsParams: tokenOf(aws.rds.ParameterGroup),
  firewall: tokenOf(hcloud.Firewall),
} as const;
const POSTGRES_PORT = 5432;
const ANYWHERE = ["0.0.0.0/0", "::/0"];

function resourceRule(
  claim: string,
  suffix: string,
  description: string,
  types: string[],
  check: (
    r: Subject,
    p: Parameters<ResourceRule["check"]>[1],
    expect: ReturnType<typeof checker>,
  ) => Finding[],
): ResourceRule {
  const rule: ResourceRule = {
    kind: "resource",
    name: `${claim}.${suffix}`,
    claim,
    description,
    types,
    check: (r, p) => check(r, p, checker(rule, r)),
  };
  return rule;
}

/** Whether a Hetzner firewall port spec ("5432", "5000-6000", "any") includes Postgres. */
function portIncludesPostgres(port: unknown): boolean {
  const s = str(port);
  if (s === undefined || s === "any") return s === "any";
  const [lo, hi] = s.split("-").map(Number);
  return lo !== undefined && lo <= POSTGRES_PORT && POSTGRES_PORT <= (hi ?? lo);
}

export const databasePrivate = resourceRule(
  "database.private",
  "network",
  "the database has no public address",
  [T.sql, T.rds, T.firewall],
  (r, _p, expect) => {
    if (r.type === T.sql) {
      const v = at(r.props, "settings.ipConfiguration.ipv4Enabled");
      return [
        expect("settings.ipConfiguration.ipv4Enabled", v, v === false, {
          proves: "no public IPv4 address; reachable only over the private network",
          problem: "the instance has (or defaults to) a public IPv4 address",
          fix: "set settings.ipConfiguration: { ipv4Enabled: false, privateNetwork: <vpc> }",
        }),
      ];
    }
    if (r.type === T.rds) {
      const v = r.props.publiclyAccessible;
      return [
        expect("publiclyAccessible", v ?? false, v !== true, {
          proves: "not publicly accessible",
          problem: "publiclyAccessible is true",
          fix: "set publiclyAccessible: false",
        }),
      ];
    }
    const open = records(r.props.rules).filter(
      (x) =>
        x.direction === "in" &&
        portIncludesPostgres(x.port) &&
        list(x.sourceIps).some((ip) => ANYWHERE.includes(String(ip))),
    );
    return [
      expect("rules[in 5432]", open.length ? open.map((x) => x.sourceIps) : "closed", open.length === 0, {
        proves: "no inbound rule opens Postgres (5432) to the internet",
        problem: "an inbound rule opens Postgres (5432) to the internet",
        fix: "remove the rule; the database listens on the private container network only",
      }),
    ];
  },
);

export const databaseTls = resourceRule(
  "database.tls-only",
  "ssl-mode",
  "database connections must use TLS",
  [T.sql],
  (r, _p, expect) => {
    const mode = str(at(r.props, "settings.ipConfiguration.sslMode"));
    const ok = mode === "ENCRYPTED_ONLY" || mode === "TRUSTED_CLIENT_CERTIFICATE_REQUIRED";
    return [
      expect("settings.ipConfiguration.sslMode", mode, ok, {
        proves: `sslMode ${mode}: unencrypted connections are refused`,
        problem: `sslMode is ${mode ?? "unset (ALLOW_UNENCRYPTED_AND_ENCRYPTED)"}`,
        fix: 'set settings.ipConfiguration.sslMode: "ENCRYPTED_ONLY"',
      }),
    ];
  },
);

export const rdsForceSsl: StackRule = {
  kind: "stack",
  name: "database.tls-only.rds-force-ssl",
  claim: "database.tls-only",
  description: "RDS instances use a parameter group with rds.force_ssl = 1",
  check: (rs) =>
    ofType(rs, T.rds).map((db) => {
      const group = str(db.props.parameterGroupName);
      const params = ofType(rs, T.rdsParams).filter(
        (g) => group !== undefined && [str(g.props.name), g.id, g.name].includes(group),
      );
      const force = params
        .flatMap((g) => records(g.props.parameters))
        .find((x) => x.name === "rds.force_ssl");
      return checker(rdsForceSsl, db)(
        "parameterGroupName → rds.force_ssl",
        force?.value ?? null,
        String(force?.value) === "1",
        {
          proves: `parameter group ${group} sets rds.force_ssl = 1`,
          problem: group
            ? `parameter group ${group} does not set rds.force_ssl = 1`
            : "the default parameter group allows plaintext connections",
          fix: 'use an aws.rds.ParameterGroup with parameters: [{ name: "rds.force_ssl", value: "1" }]',
        },
      );
    }),
};

export const databasePitr = resourceRule(
  "database.pitr",
  "window",
  "point-in-time recovery covers database.pitrDays",
  [T.sql, T.rds],
  (r, p, expect) => {
    const days = p.database.pitrDays;
    if (r.type === T.rds) {
      const keep = num(r.props.backupRetentionPeriod) ?? 0;
      return [
        expect("backupRetentionPeriod", keep, keep >= days, {
          proves: `automated backups (PITR) kept ${keep} days`,
          problem: `backupRetentionPeriod ${keep} is shorter than the promised ${days} days of PITR`,
          fix: `set backupRetentionPeriod: ${days} (or more)`,
        }),
      ];
    }
    const b = "settings.backupConfiguration";
    const on = at(r.props, `${b}.pointInTimeRecoveryEnabled`);
    const enabled = at(r.props, `${b}.enabled`);
    const logDays = num(at(r.props, `${b}.transactionLogRetentionDays`)) ?? 0;
    return [
      expect(`${b}.enabled`, enabled, enabled === true, {
        proves: "automated backups on",
        problem: "automated backups are off",
        fix: `set ${b}.enabled: true`,
      }),
      expect(`${b}.pointInTimeRecoveryEnabled`, on, on === true, {
        proves: "point-in-time recovery on",
        problem: "point-in-time recovery is off",
        fix: `set ${b}.pointInTimeRecoveryEnabled: true`,
      }),
      expect(`${b}.transactionLogRetentionDays`, logDays, logDays >= days, {
        proves: `transaction logs kept ${logDays} days`,
        problem: `transaction logs kept ${logDays} days, fewer than the promised ${days}`,
        fix: `set ${b}.transactionLogRetentionDays: ${days}`,
      }),
    ];
  },
);

export const databaseDeletion = resourceRule(
  "database.deletion-protection",
  "flags",
  "the database cannot be deleted by accident",
  [T.sql, T.rds],
  (r, _p, expect) => {
    if (r.type === T.rds)
      return [
        expect("deletionProtection", r.props.deletionProtection, r.props.deletionProtection === true, {
          proves: "deletion protection on",
          problem: "deletionProtection is not true",
          fix: "set deletionProtection: true",
        }),
      ];
    const pulumiGuard = r.props.deletionProtection;
    const gcpGuard = at(r.props, "settings.deletionProtectionEnabled");
    return [
      expect("deletionProtection", pulumiGuard ?? true, pulumiGuard !== false, {
        proves: "Pulumi refuses to delete the instance",
        problem: "deletionProtection is false",
        fix: "remove deletionProtection: false",
      }),
      expect("settings.deletionProtectionEnabled", gcpGuard, gcpGuard === true, {
        proves: "Cloud SQL refuses deletion (any tool)",
        problem: "settings.deletionProtectionEnabled is not true",
        fix: "set settings.deletionProtectionEnabled: true",
      }),
    ];
  },
);

/** A managed-database posture needs a database instance at all; the self-hosted one needs a firewall. */
export const databaseExists: StackRule = {
  kind: "stack",
  name: "database.private.exists",
  claim: "database.private",
  description: "the stack provisions the database (managed) or a firewall in front of it (self-hosted)",
  check: (rs, p) => {
    const want = p.profile === "hetzner" ? [T.firewall] : [T.sql, T.rds];
    const n = ofType(rs, ...want).length;
    return [
      checker(databaseExists, null)(
        `(${p.profile === "hetzner" ? "firewalls" : "database instances"})`,
        n,
        n > 0,
        {
          proves: `${n} ${p.profile === "hetzner" ? "firewall(s) guard the server" : "database instance(s)"}`,
          problem:
            p.profile === "hetzner"
              ? "no hcloud.Firewall: every port of the server is reachable"
              : "no database instance in the stack",
          fix:
            p.profile === "hetzner"
              ? "attach an hcloud.Firewall allowing only 80/443 (and SSH from adminCidrs)"
              : "provision the database (Cloud SQL / RDS)",
        },
      ),
    ];
  },
};

export const DATABASE_RULES = [
  databasePrivate,
  databaseTls,
  rdsForceSsl,
  databasePitr,
  databaseDeletion,
  databaseExists,
];
