import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/**
 * Bucket roles of each job identity. Backup adds objects and never reads or deletes them; the drill
 * reads backups; both append evidence. No role here carries storage.objects.delete.
 */
export const JOB_BUCKET_ROLES = {
  backup: { backups: "roles/storage.objectCreator", evidence: "roles/storage.objectCreator" },
  drill: { backups: "roles/storage.objectViewer", evidence: "roles/storage.objectCreator" },
} as const;

export type JobKind = keyof typeof JOB_BUCKET_ROLES;

export interface OpsJobsArgs {
  /** Region of the jobs and their schedulers. Required. */
  region: string;
  /** GCP project id (for the Cloud Run Admin API URL the scheduler calls). */
  project: pulumi.Input<string>;
  /** The Rampart jobs image (see Dockerfile). */
  image: string;
  /** Stack name passed to the CLI (RAMPART_STACK); the image carries stacks/. */
  stack: string;
  /** Cron schedules (UTC) of the backup and the drill. */
  schedules: Record<JobKind, string>;
  /** Bucket names the jobs write to / read from. */
  buckets: { backups: pulumi.Input<string>; evidence: pulumi.Input<string> };
  /** Secret id of the age identity: readable by the drill only. */
  ageIdentitySecret: pulumi.Input<string>;
  /** Secret ids both jobs read (Sentry DSN, database password). @default [] */
  sharedSecrets?: pulumi.Input<string>[];
  /** Database connection env (no password: that comes from a secret). */
  database: { host: pulumi.Input<string>; name: string; user: string; passwordSecret?: pulumi.Input<string> };
  /** VPC and subnet for direct VPC egress to the private database. */
  network: { network: pulumi.Input<string>; subnetwork: pulumi.Input<string> };
  /** Container resources. @default { cpu: "1", memoryMb: 1024 } */
  resources?: { cpu: string; memoryMb: number };
  /** Longest run of each job in minutes. */
  maxRuntimeMinutes: Record<JobKind, number>;
  /** Physical name prefix for jobs and service account ids (<= 21 chars, so ids fit 30). */
  namePrefix: string;
  /** Labels on the jobs. @default {} */
  labels?: Record<string, string>;
}

/**
 * Scheduled Cloud Run jobs running the Rampart image: backup on the posture's schedule, restore drill
 * monthly. Each has its own service account with only the roles above; a third account only invokes them.
 */
export class OpsJobs extends pulumi.ComponentResource {
  readonly serviceAccounts: Readonly<Record<JobKind, gcp.serviceaccount.Account>>;
  readonly jobs: Readonly<Record<JobKind, gcp.cloudrunv2.Job>>;

  constructor(name: string, args: OpsJobsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:gcp:OpsJobs", name, {}, opts);
    if (!args.region) throw new Error(`${name}: region is required (no default region)`);
    const parent = { parent: this };
    const account = (role: string, what: string) =>
      new gcp.serviceaccount.Account(
        `${name}-${role}-sa`,
        { accountId: `${args.namePrefix}-${role}`.slice(0, 30), displayName: `Rampart ${what}` },
        parent,
      );
    const invoker = account("sched", "job scheduler (invokes jobs only)");
    const sas = { backup: account("backup", "backup job"), drill: account("drill", "restore drill job") };
    const jobs = {} as Record<JobKind, gcp.cloudrunv2.Job>;

    for (const kind of ["backup", "drill"] as const) {
      const sa = sas[kind];
      const member = pulumi.interpolate`serviceAccount:${sa.email}`;
      for (const bucket of ["backups", "evidence"] as const)
        new gcp.storage.BucketIAMMember(
          `${name}-${kind}-${bucket}`,
          { bucket: args.buckets[bucket], role: JOB_BUCKET_ROLES[kind][bucket], member },
          parent,
        );
      const readable = [...(args.sharedSecrets ?? []), ...(kind === "drill" ? [args.ageIdentitySecret] : [])];
      readable.forEach((secretId, i) => {
        new gcp.secretmanager.SecretIamMember(
          `${name}-${kind}-secret-${i}`,
          { secretId, role: "roles/secretmanager.secretAccessor", member },
          parent,
        );
      });
      const envs: gcp.types.input.cloudrunv2.JobTemplateTemplateContainerEnv[] = [
        { name: "RAMPART_STACK", value: args.stack },
        { name: "PGHOST", value: args.database.host },
        { name: "PGDATABASE", value: args.database.name },
        { name: "PGUSER", value: args.database.user },
        { name: "PGSSLMODE", value: "require" },
        ...(args.database.passwordSecret
          ? [
              {
                name: "PGPASSWORD",
                valueSource: { secretKeyRef: { secret: args.database.passwordSecret, version: "latest" } },
              },
            ]
          : []),
      ];
      const resources = args.resources ?? { cpu: "1", memoryMb: 1024 };
      const job = new gcp.cloudrunv2.Job(
        `${name}-${kind}`,
        {
          name: `${args.namePrefix}-${kind}`,
          location: args.region,
          deletionProtection: false,
          labels: args.labels ?? {},
          template: {
            taskCount: 1,
            template: {
              serviceAccount: sa.email,
              maxRetries: 1,
              timeout: `${args.maxRuntimeMinutes[kind] * 60}s`,
              vpcAccess: {
                egress: "PRIVATE_RANGES_ONLY",
                networkInterfaces: [{ network: args.network.network, subnetwork: args.network.subnetwork }],
              },
              containers: [
                {
                  image: args.image,
                  args: [kind, "--json"],
                  envs,
                  resources: { limits: { cpu: resources.cpu, memory: `${resources.memoryMb}Mi` } },
                },
              ],
            },
          },
        },
        parent,
      );
      jobs[kind] = job;
      new gcp.cloudrunv2.JobIamMember(
        `${name}-${kind}-invoker`,
        {
          name: job.name,
          location: args.region,
          role: "roles/run.invoker",
          member: pulumi.interpolate`serviceAccount:${invoker.email}`,
        },
        parent,
      );
      new gcp.cloudscheduler.Job(
        `${name}-${kind}-schedule`,
        {
          region: args.region,
          schedule: args.schedules[kind],
          timeZone: "Etc/UTC",
          attemptDeadline: "320s",
          retryConfig: { retryCount: 1 },
          httpTarget: {
            httpMethod: "POST",
            uri: pulumi.interpolate`https://run.googleapis.com/v2/projects/${args.project}/locations/${args.region}/jobs/${job.name}:run`,
            oauthToken: {
              serviceAccountEmail: invoker.email,
              scope: "https://www.googleapis.com/auth/cloud-platform",
            },
          },
        },
        parent,
      );
    }
    this.serviceAccounts = sas;
    this.jobs = jobs;
    this.registerOutputs({ backupJob: jobs.backup.name, drillJob: jobs.drill.name });
  }
}
