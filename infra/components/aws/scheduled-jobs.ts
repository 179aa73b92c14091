import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { allow, assumableBy, policyDocument, policyJson, type Statement } from "../../lib/iam.ts";
import { logRetention } from "./database.ts";
import { awsLogs, ecsTaskRole, executionRole, fargateTask } from "./fargate-task.ts";
import { schedulerExpression } from "./schedule-expression.ts";

export type JobName = "backup" | "drill";

export interface JobSpec {
  /** Posture cron (UTC), e.g. backups.schedule. */
  schedule: string;
  /** Posture key of the schedule, for error messages. */
  scheduleKey: string;
  /** The task role's permissions: least privilege for this job only. */
  statements: Statement[];
  /** Task is stopped after this long. */
  maxRuntimeMinutes: number;
}

export interface ScheduledJobsArgs {
  /** Region the tasks, schedules and logs are pinned to. */
  region: string;
  /** ECS cluster ARN the tasks run in. */
  clusterArn: pulumi.Input<string>;
  /** Subnets for the tasks (they need egress to S3, Secrets Manager and the database). */
  subnetIds: pulumi.Input<string>[];
  /** Security group of the jobs (no ingress). */
  securityGroupId: pulumi.Input<string>;
  /** The Rampart jobs image. */
  image: string;
  /** Fargate CPU units as a string ("1024") and memory in MiB. */
  cpu: string;
  memoryMb: number;
  /** The stack name the jobs run against (`RAMPART_STACK`). */
  stack: string;
  /** Backup and drill: schedule and permissions. */
  jobs: Record<JobName, JobSpec>;
  /** KMS key for the jobs' log group. */
  kmsKeyArn: pulumi.Input<string>;
  /** Log retention in days (rounded up to a CloudWatch value). @default 400 */
  logRetentionDays?: number;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/** Fargate takes CPU units; the posture says vCPUs ("1", "0.5"). */
export const fargateCpu = (vcpu: string): string => String(Math.round(Number(vcpu) * 1024));

/**
 * The backup and drill jobs: one Fargate task definition and one task role per job (each with only
 * its own permissions), and an EventBridge Scheduler schedule per job whose role may run exactly
 * those task definitions and pass exactly those roles.
 */
export class ScheduledJobs extends pulumi.ComponentResource {
  readonly taskRoleArns: Record<JobName, pulumi.Output<string>>;
  readonly taskDefinitionArns: Record<JobName, pulumi.Output<string>>;
  readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: ScheduledJobsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:ScheduledJobs", name, {}, opts);
    const { region } = args;
    const tags = args.tags ?? {};
    const parent = { parent: this };
    // Validate schedules before creating anything.
    const expressions = {
      backup: schedulerExpression(args.jobs.backup.schedule, args.jobs.backup.scheduleKey),
      drill: schedulerExpression(args.jobs.drill.schedule, args.jobs.drill.scheduleKey),
    };

    const logs = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        region,
        name: `/rampart/${args.stack}/jobs`,
        retentionInDays: logRetention(args.logRetentionDays ?? 400),
        kmsKeyId: args.kmsKeyArn,
        tags,
      },
      parent,
    );
    this.logGroupName = logs.name;
    const execution = executionRole(name, "WriteJobLogs", logs, tags, parent);

    const roles = {} as Record<JobName, aws.iam.Role>;
    const defs = {} as Record<JobName, aws.ecs.TaskDefinition>;
    for (const job of ["backup", "drill"] as const) {
      const spec = args.jobs[job];
      roles[job] = ecsTaskRole(
        { role: `${name}-${job}-role`, policy: `${name}-${job}-policy` },
        spec.statements,
        { ...tags, job },
        parent,
      );
      defs[job] = fargateTask(
        `${name}-${job}-task`,
        {
          region,
          family: `rampart-${args.stack}-${job}`,
          cpu: args.cpu,
          memoryMb: args.memoryMb,
          executionRoleArn: execution.arn,
          taskRoleArn: roles[job].arn,
          runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" },
          container: {
            name: job,
            image: args.image,
            essential: true,
            command: [job, "--json"],
            environment: [
              { name: "RAMPART_STACK", value: args.stack },
              { name: "AWS_REGION", value: region },
              { name: "RAMPART_MAX_RUNTIME_MINUTES", value: String(spec.maxRuntimeMinutes) },
            ],
            readonlyRootFilesystem: false,
            logConfiguration: awsLogs(logs.name, region, job),
          },
          tags: { ...tags, job },
        },
        parent,
      );
    }

    const scheduler = new aws.iam.Role(
      `${name}-scheduler`,
      { assumeRolePolicy: policyJson(assumableBy("scheduler")), tags },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-scheduler-policy`,
      {
        role: scheduler.id,
        policy: policyJson(
          policyDocument(
            allow(
              "RunJobTasks",
              ["ecs:RunTask"],
              [defs.backup.arnWithoutRevision, defs.drill.arnWithoutRevision],
              {
                ArnEquals: { "ecs:cluster": args.clusterArn },
              },
            ),
            allow("PassJobRoles", ["iam:PassRole"], [execution.arn, roles.backup.arn, roles.drill.arn]),
          ),
        ),
      },
      parent,
    );
    for (const job of ["backup", "drill"] as const)
      new aws.scheduler.Schedule(
        `${name}-${job}-schedule`,
        {
          region,
          scheduleExpression: expressions[job],
          scheduleExpressionTimezone: "UTC",
          flexibleTimeWindow: { mode: "OFF" },
          target: {
            arn: args.clusterArn,
            roleArn: scheduler.arn,
            retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
            ecsParameters: {
              taskDefinitionArn: defs[job].arnWithoutRevision,
              launchType: "FARGATE",
              taskCount: 1,
              networkConfiguration: {
                subnets: args.subnetIds,
                securityGroups: [args.securityGroupId],
                assignPublicIp: true,
              },
            },
          },
        },
        parent,
      );
    this.taskRoleArns = { backup: roles.backup.arn, drill: roles.drill.arn };
    this.taskDefinitionArns = { backup: defs.backup.arn, drill: defs.drill.arn };
    this.registerOutputs({ taskRoleArns: this.taskRoleArns });
  }
}
