// The pieces an ECS Fargate task is built from, shared by the app service and the scheduled jobs.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { allow, assumableBy, policyDocument, policyJson, type Statement } from "../../lib/iam.ts";

/** A role ECS tasks assume, with one inline policy holding exactly `statements`. */
export function ecsTaskRole(
  names: { role: string; policy: string },
  statements: Statement[],
  tags: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): aws.iam.Role {
  const role = new aws.iam.Role(
    names.role,
    { assumeRolePolicy: policyJson(assumableBy("ecs-tasks")), tags },
    opts,
  );
  new aws.iam.RolePolicy(
    names.policy,
    { role: role.id, policy: policyJson(policyDocument(...statements)) },
    opts,
  );
  return role;
}

/** The execution role `${name}-execution`: it may only write the task's log streams (statement `sid`). */
export function executionRole(
  name: string,
  sid: string,
  logs: aws.cloudwatch.LogGroup,
  tags: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): aws.iam.Role {
  const writeLogs = allow(
    sid,
    ["logs:CreateLogStream", "logs:PutLogEvents"],
    [pulumi.interpolate`${logs.arn}:*`],
  );
  return ecsTaskRole(
    { role: `${name}-execution`, policy: `${name}-execution-policy` },
    [writeLogs],
    tags,
    opts,
  );
}

/** A container's `awslogs` log configuration. */
export const awsLogs = (group: pulumi.Input<string>, region: string, streamPrefix: string) => ({
  logDriver: "awslogs",
  options: { "awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": streamPrefix },
});

export interface FargateTaskArgs {
  region: string;
  family: string;
  cpu: string;
  memoryMb: number;
  executionRoleArn: pulumi.Input<string>;
  taskRoleArn: pulumi.Input<string>;
  runtimePlatform?: aws.types.input.ecs.TaskDefinitionRuntimePlatform;
  /** The one container of the task (serialized as given, so its key order is its JSON order). */
  container: Record<string, unknown>;
  tags: Record<string, string>;
}

/** A one-container Fargate task definition (awsvpc networking). */
export function fargateTask(
  name: string,
  args: FargateTaskArgs,
  opts: pulumi.CustomResourceOptions,
): aws.ecs.TaskDefinition {
  return new aws.ecs.TaskDefinition(
    name,
    {
      region: args.region,
      family: args.family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: args.cpu,
      memory: String(args.memoryMb),
      executionRoleArn: args.executionRoleArn,
      taskRoleArn: args.taskRoleArn,
      ...(args.runtimePlatform ? { runtimePlatform: args.runtimePlatform } : {}),
      containerDefinitions: pulumi.jsonStringify([args.container]),
      tags: args.tags,
    },
    opts,
  );
}
