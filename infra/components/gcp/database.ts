import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, type Posture } from "../../../posture/index.ts";

type DatabasePosture = Posture["database"];

/** Cloud SQL Enterprise keeps at most 7 days of transaction logs for point-in-time recovery. */
export const MAX_PITR_DAYS_ENTERPRISE = 7;

/** Audit and connection logging flags: pgaudit for DDL/role/write statements, every connection logged. */
export const AUDIT_FLAGS = [
  { name: "cloudsql.enable_pgaudit", value: "on" },
  { name: "pgaudit.log", value: "ddl,role,write" },
  { name: "log_connections", value: "on" },
  { name: "log_disconnections", value: "on" },
  { name: "log_checkpoints", value: "on" },
  { name: "log_lock_waits", value: "on" },
] as const;

export interface PostgresDatabaseArgs {
  /** Region of the instance and of its automated backups. Required. */
  region: string;
  /** The posture's database section: major, name, PITR window, backup retention, protection, size, maintenance. */
  database: DatabasePosture;
  /** VPC the instance gets its only (private) IP in. */
  networkId: pulumi.Input<string>;
  /** KMS key id for CMEK. The Cloud SQL service agent must already hold encrypter/decrypter on it. */
  kmsKeyName: pulumi.Input<string>;
  /** Resources the instance must wait for (private service access, the CMEK grant). @default [] */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Instance name. */
  instanceName: string;
  /** ZONAL or REGIONAL (HA across zones of the same region). @default "REGIONAL" */
  availabilityType?: "ZONAL" | "REGIONAL";
  /** Machine tier when the posture sets no size. @default "db-custom-1-3840" */
  defaultTier?: string;
  /** Where the stack file is, for error messages. */
  source: string;
  /** Labels on the instance. @default {} */
  labels?: Record<string, string>;
}

/**
 * Cloud SQL for PostgreSQL: private IP only, TLS required, CMEK, PITR, automated backups in the region,
 * deletion protection in Cloud SQL and in Pulumi, pgaudit and connection logging, a weekly maintenance window.
 */
export class PostgresDatabase extends pulumi.ComponentResource {
  readonly instance: gcp.sql.DatabaseInstance;
  readonly database: gcp.sql.Database;
  /** The instance's private IP address. */
  readonly privateIp: pulumi.Output<string>;

  constructor(name: string, args: PostgresDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:gcp:PostgresDatabase", name, {}, opts);
    const db = args.database;
    if (db.pitrDays > MAX_PITR_DAYS_ENTERPRISE)
      throw new ConfigError(
        args.source,
        [
          `${args.source}: rampart:posture.database.pitrDays: ${db.pitrDays} is longer than Cloud SQL Enterprise keeps transaction logs (${MAX_PITR_DAYS_ENTERPRISE} days)`,
        ],
        `set database.pitrDays to ${MAX_PITR_DAYS_ENTERPRISE} or less`,
      );
    this.instance = new gcp.sql.DatabaseInstance(
      `${name}-instance`,
      {
        name: args.instanceName,
        region: args.region,
        databaseVersion: `POSTGRES_${db.major}`,
        encryptionKeyName: args.kmsKeyName,
        deletionProtection: db.deletionProtection,
        settings: {
          // Postgres 16+ defaults to Enterprise Plus, which rejects db-custom tiers: be explicit.
          edition: "ENTERPRISE",
          tier: db.size ?? args.defaultTier ?? "db-custom-1-3840",
          availabilityType: args.availabilityType ?? "REGIONAL",
          deletionProtectionEnabled: db.deletionProtection,
          diskAutoresize: true,
          diskType: "PD_SSD",
          ipConfiguration: {
            ipv4Enabled: false,
            privateNetwork: args.networkId,
            sslMode: "ENCRYPTED_ONLY",
            enablePrivatePathForGoogleCloudServices: false,
          },
          backupConfiguration: {
            enabled: true,
            location: args.region,
            startTime: "01:00",
            pointInTimeRecoveryEnabled: true,
            transactionLogRetentionDays: db.pitrDays,
            backupRetentionSettings: { retainedBackups: db.backupRetentionDays, retentionUnit: "COUNT" },
          },
          maintenanceWindow: { day: db.maintenance.day, hour: db.maintenance.hour, updateTrack: "stable" },
          databaseFlags: AUDIT_FLAGS.map((f) => ({ ...f })),
          insightsConfig: {
            queryInsightsEnabled: true,
            recordApplicationTags: false,
            recordClientAddress: false,
          },
          userLabels: args.labels ?? {},
        },
      },
      { parent: this, protect: db.deletionProtection, dependsOn: args.dependsOn ?? [] },
    );
    this.database = new gcp.sql.Database(
      `${name}-db`,
      { instance: this.instance.name, name: db.name },
      { parent: this, protect: db.deletionProtection },
    );
    this.privateIp = this.instance.privateIpAddress;
    this.registerOutputs({ instance: this.instance.name, privateIp: this.privateIp });
  }
}
