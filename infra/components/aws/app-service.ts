import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Statement } from "../../lib/iam.ts";
import { logRetention } from "./database.ts";
import { awsLogs, ecsTaskRole, executionRole, fargateTask } from "./fargate-task.ts";

export interface AppServiceArgs {
  /** Region the service, task definition and logs are pinned to. */
  region: string;
  clusterArn: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  /** The posture's compute section: image, port, instances, cpu (vCPU), memory. */
  image: string;
  port: number;
  desiredCount: number;
  cpu: string;
  memoryMb: number;
  /** Task role permissions (uploads bucket, app secrets). Least privilege: nothing else. */
  statements: Statement[];
  /** KMS key for the log group. */
  kmsKeyArn: pulumi.Input<string>;
  /** Log retention (rounded up to a CloudWatch value). @default 400 */
  logRetentionDays?: number;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/** The application on ECS Fargate: one service, a task role holding only `statements`, encrypted logs. */
export class AppService extends pulumi.ComponentResource {
  readonly serviceName: pulumi.Output<string>;
  readonly taskRoleArn: pulumi.Output<string>;

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:AppService", name, {}, opts);
    const { region } = args;
    const tags = args.tags ?? {};
    const parent = { parent: this };
    const logs = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { region, retentionInDays: logRetention(args.logRetentionDays ?? 400), kmsKeyId: args.kmsKeyArn, tags },
      parent,
    );
    const execution = executionRole(name, "WriteAppLogs", logs, tags, parent);
    const task = ecsTaskRole(
      { role: `${name}-task-role`, policy: `${name}-task-policy` },
      args.statements,
      tags,
      parent,
    );
    const def = fargateTask(
      `${name}-task`,
      {
        region,
        family: name,
        cpu: args.cpu,
        memoryMb: args.memoryMb,
        executionRoleArn: execution.arn,
        taskRoleArn: task.arn,
        container: {
          name: "app",
          image: args.image,
          essential: true,
          portMappings: [{ containerPort: args.port, protocol: "tcp" }],
          environment: [{ name: "AWS_REGION", value: region }],
          logConfiguration: awsLogs(logs.name, region, "app"),
        },
        tags,
      },
      parent,
    );
    const service = new aws.ecs.Service(
      `${name}-service`,
      {
        region,
        cluster: args.clusterArn,
        taskDefinition: def.arn,
        desiredCount: args.desiredCount,
        launchType: "FARGATE",
        networkConfiguration: {
          subnets: args.subnetIds,
          securityGroups: [args.securityGroupId],
          assignPublicIp: true,
        },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        propagateTags: "SERVICE",
        tags,
      },
      parent,
    );
    this.serviceName = service.name;
    this.taskRoleArn = task.arn;
    this.registerOutputs({ serviceName: this.serviceName });
  }
}
