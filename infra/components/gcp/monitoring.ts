import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { Posture } from "../../../posture/index.ts";

/** Services whose Data Access audit logs (reads and writes of data, not only admin changes) are turned on. */
export const AUDITED_SERVICES = [
  "cloudsql.googleapis.com",
  "storage.googleapis.com",
  "cloudkms.googleapis.com",
  "secretmanager.googleapis.com",
] as const;

export interface OpsMonitoringArgs {
  /** Region of the log bucket. Required. */
  region: string;
  /** GCP project id. */
  project: pulumi.Input<string>;
  /** The posture's monitoring section: emails, uptime paths, audit log days, backup freshness. */
  monitoring: Posture["monitoring"];
  /** Public host the uptime checks probe (the edge domain); null = no uptime checks. */
  host: string | null;
  /** Cloud SQL instance id (`project:instance`) the CPU/disk alerts watch. */
  databaseId: pulumi.Input<string>;
  /** Cloud Run job name of the backup (its success log line feeds the freshness metric). */
  backupJobName: pulumi.Input<string>;
  /** Log bucket id for audit logs. */
  logBucketId: string;
}

/**
 * Uptime checks, alert policies routed to email, Data Access audit logs for data services, and a
 * regional log bucket keeping audit logs for the posture's retention.
 */
export class OpsMonitoring extends pulumi.ComponentResource {
  constructor(name: string, args: OpsMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:gcp:OpsMonitoring", name, {}, opts);
    if (!args.region) throw new Error(`${name}: region is required (no default region)`);
    const parent = { parent: this };
    const m = args.monitoring;

    const channels = m.alertEmails.map(
      (email, i) =>
        new gcp.monitoring.NotificationChannel(
          `${name}-email-${i}`,
          { type: "email", displayName: `Rampart on-call ${email}`, labels: { email_address: email } },
          parent,
        ).id,
    );
    const alert = (
      key: string,
      displayName: string,
      conditions: gcp.types.input.monitoring.AlertPolicyCondition[],
    ) =>
      new gcp.monitoring.AlertPolicy(
        `${name}-alert-${key}`,
        { displayName, combiner: "OR", conditions, notificationChannels: channels, severity: "CRITICAL" },
        parent,
      );

    if (args.host)
      for (const path of m.uptime.paths) {
        const key = path.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "") || "root";
        const check = new gcp.monitoring.UptimeCheckConfig(
          `${name}-uptime-${key}`,
          {
            displayName: `https://${args.host}${path}`,
            period: `${m.uptime.periodSeconds}s`,
            timeout: "10s",
            httpCheck: { path, port: 443, useSsl: true, validateSsl: true, requestMethod: "GET" },
            monitoredResource: { type: "uptime_url", labels: { host: args.host, project_id: args.project } },
          },
          parent,
        );
        alert(`uptime-${key}`, `Down: https://${args.host}${path}`, [
          {
            displayName: "uptime check failing",
            conditionThreshold: {
              filter: pulumi.interpolate`metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND resource.type="uptime_url" AND metric.label.check_id="${check.uptimeCheckId}"`,
              comparison: "COMPARISON_GT",
              thresholdValue: 1,
              duration: `${m.uptime.periodSeconds * 2}s`,
              aggregations: [
                {
                  alignmentPeriod: "1200s",
                  perSeriesAligner: "ALIGN_NEXT_OLDER",
                  crossSeriesReducer: "REDUCE_COUNT_FALSE",
                  groupByFields: ["resource.label.host"],
                },
              ],
            },
          },
        ]);
      }

    const sqlThreshold = (metric: string, value: number) => ({
      displayName: `${metric} above ${value * 100}%`,
      conditionThreshold: {
        filter: pulumi.interpolate`metric.type="cloudsql.googleapis.com/database/${metric}" AND resource.type="cloudsql_database" AND resource.label.database_id="${args.databaseId}"`,
        comparison: "COMPARISON_GT",
        thresholdValue: value,
        duration: "600s",
        aggregations: [{ alignmentPeriod: "300s", perSeriesAligner: "ALIGN_MEAN" }],
      },
    });
    alert("sql-cpu", "Cloud SQL CPU high", [sqlThreshold("cpu/utilization", 0.8)]);
    alert("sql-disk", "Cloud SQL disk almost full", [sqlThreshold("disk/utilization", 0.85)]);
    alert("job-failures", "Rampart job failed", [
      {
        displayName: "failed Cloud Run job executions",
        conditionThreshold: {
          filter: `metric.type="run.googleapis.com/job/completed_execution_count" AND resource.type="cloud_run_job" AND metric.label.result="failed"`,
          comparison: "COMPARISON_GT",
          thresholdValue: 0,
          duration: "0s",
          aggregations: [{ alignmentPeriod: "300s", perSeriesAligner: "ALIGN_DELTA" }],
        },
      },
    ]);

    const backupsDone = new gcp.logging.Metric(
      `${name}-backup-complete`,
      {
        name: "rampart/backup_complete",
        description: "Successful Rampart backups (the job's 'backup complete' log line)",
        filter: pulumi.interpolate`resource.type="cloud_run_job" AND resource.labels.job_name="${args.backupJobName}" AND jsonPayload.msg="backup complete"`,
        metricDescriptor: { metricKind: "DELTA", valueType: "INT64" },
      },
      parent,
    );
    alert("backup-freshness", `No successful backup for ${m.backupFreshnessMinutes} minutes`, [
      {
        displayName: "backup complete log line absent",
        conditionAbsent: {
          filter: pulumi.interpolate`metric.type="logging.googleapis.com/user/${backupsDone.name}" AND resource.type="cloud_run_job"`,
          duration: `${m.backupFreshnessMinutes * 60}s`,
          aggregations: [{ alignmentPeriod: "300s", perSeriesAligner: "ALIGN_DELTA" }],
        },
      },
    ]);

    for (const service of AUDITED_SERVICES)
      new gcp.projects.IAMAuditConfig(
        `${name}-audit-${service.split(".")[0]}`,
        {
          project: args.project,
          service,
          auditLogConfigs: [{ logType: "ADMIN_READ" }, { logType: "DATA_READ" }, { logType: "DATA_WRITE" }],
        },
        parent,
      );

    const logBucket = new gcp.logging.ProjectBucketConfig(
      `${name}-audit-logs`,
      {
        project: args.project,
        location: args.region,
        bucketId: args.logBucketId,
        retentionDays: m.auditLogDays,
        description: `Audit logs, kept ${m.auditLogDays} days`,
      },
      { parent: this, protect: true },
    );
    const sink = new gcp.logging.ProjectSink(
      `${name}-audit-sink`,
      {
        name: `${args.logBucketId}-sink`,
        destination: pulumi.interpolate`logging.googleapis.com/${logBucket.id}`,
        filter: `logName:"cloudaudit.googleapis.com"`,
        uniqueWriterIdentity: true,
      },
      parent,
    );
    new gcp.projects.IAMMember(
      `${name}-audit-sink-writer`,
      { project: args.project, role: "roles/logging.bucketWriter", member: sink.writerIdentity },
      parent,
    );
    this.registerOutputs({ logBucket: logBucket.id });
  }
}
