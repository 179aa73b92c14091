import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Posture } from "../../../posture/index.ts";

type DatabaseSettings = Posture["database"];

export interface DatabaseArgs {
  /** Region the instance, its parameter group and log groups are pinned to. */
  region: string;
  /** Instance identifier (also names the CloudWatch log groups). */
  identifier: string;
  /** The posture's database section: major version, name, PITR, retention, size, maintenance. */
  settings: DatabaseSettings;
  /** CMK for storage, the managed master secret and the exported logs. */
  kmsKeyArn: pulumi.Input<string>;
  /** Private subnets (no internet route). */
  subnetIds: pulumi.Input<string>[];
  /** Security group admitting 5432 from the app and jobs only. */
  securityGroupId: pulumi.Input<string>;
  /** Days the master password lives before Secrets Manager rotates it. @default 30 */
  passwordRotationDays?: number;
  /** CloudWatch Logs retention for the exported Postgres logs. @default 400 */
  logRetentionDays?: number;
  /** Standby in a second zone. @default false */
  multiAz?: boolean;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const hhmm = (h: number) => `${String(((h % 24) + 24) % 24).padStart(2, "0")}:00`;

/**
 * RDS windows from the posture's maintenance slot (day 1 = Monday, hour UTC): maintenance for 30
 * minutes at that hour, and the daily automated backup two hours before it, so they never overlap.
 */
export function rdsWindows(m: DatabaseSettings["maintenance"]): { maintenance: string; backup: string } {
  const day = DAYS[m.day - 1] as string;
  return {
    maintenance: `${day}:${hhmm(m.hour)}-${day}:${hhmm(m.hour).replace(":00", ":30")}`,
    backup: `${hhmm(m.hour - 2)}-${hhmm(m.hour - 2).replace(":00", ":30")}`,
  };
}

/** CloudWatch Logs accepts only these retention periods; round the posture's days up to one. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
export const logRetention = (days: number): number =>
  LOG_RETENTION_DAYS.find((d) => d >= days) ?? (LOG_RETENTION_DAYS.at(-1) as number);

/**
 * RDS for PostgreSQL as the posture promises: CMK-encrypted storage, TLS forced by the parameter
 * group, IAM auth, PITR window, deletion protection, a master password that only Secrets Manager
 * knows (rotated), and Postgres logs exported to KMS-encrypted CloudWatch log groups.
 */
export class Database extends pulumi.ComponentResource {
  readonly instance: aws.rds.Instance;
  /** The master credentials secret that RDS manages. */
  readonly masterSecretArn: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:Database", name, {}, opts);
    const { region, settings: db } = args;
    const tags = args.tags ?? {};
    const parent = { parent: this };
    const windows = rdsWindows(db.maintenance);

    const params = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        region,
        family: `postgres${db.major}`,
        description: "Rampart: TLS only, connection logging",
        parameters: [
          { name: "rds.force_ssl", value: "1" },
          { name: "log_connections", value: "1" },
          { name: "log_disconnections", value: "1" },
        ],
        tags,
      },
      parent,
    );
    const subnets = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      { region, subnetIds: args.subnetIds, tags },
      parent,
    );
    // Created before the instance so RDS writes into encrypted groups with our retention.
    const logGroups = ["postgresql", "upgrade"].map(
      (kind) =>
        new aws.cloudwatch.LogGroup(
          `${name}-logs-${kind}`,
          {
            region,
            name: `/aws/rds/instance/${args.identifier}/${kind}`,
            retentionInDays: logRetention(args.logRetentionDays ?? 400),
            kmsKeyId: args.kmsKeyArn,
            tags,
          },
          parent,
        ),
    );

    this.instance = new aws.rds.Instance(
      `${name}-instance`,
      {
        region,
        identifier: args.identifier,
        engine: "postgres",
        engineVersion: String(db.major),
        instanceClass: db.size ?? "db.t4g.micro",
        dbName: db.name,
        username: "rampart_admin",
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: args.kmsKeyArn,
        allocatedStorage: 20,
        maxAllocatedStorage: 200,
        storageType: "gp3",
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        iamDatabaseAuthenticationEnabled: true,
        parameterGroupName: params.name,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        publiclyAccessible: false,
        multiAz: args.multiAz ?? false,
        // RDS has one window for automated backups and PITR: keep the longer of the two promises.
        backupRetentionPeriod: Math.max(db.pitrDays, db.backupRetentionDays),
        backupWindow: windows.backup,
        maintenanceWindow: windows.maintenance,
        deletionProtection: db.deletionProtection,
        deleteAutomatedBackups: false,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `${args.identifier}-final`,
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
        enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: args.kmsKeyArn,
        tags,
      },
      { parent: this, protect: true, dependsOn: logGroups },
    );
    this.masterSecretArn = this.instance.masterUserSecrets.apply((s) => s?.[0]?.secretArn ?? "");
    // RDS-managed secrets rotate without a Lambda; this sets how often.
    new aws.secretsmanager.SecretRotation(
      `${name}-master-rotation`,
      {
        region,
        secretId: this.masterSecretArn,
        rotationRules: { automaticallyAfterDays: args.passwordRotationDays ?? 30 },
      },
      parent,
    );
    this.registerOutputs({ endpoint: this.instance.endpoint, masterSecretArn: this.masterSecretArn });
  }
}
