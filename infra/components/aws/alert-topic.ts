import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { allow, policyDocument, policyJson, type Statement } from "../../lib/iam.ts";

export interface AlertTopicArgs {
  /** Region the topic is pinned to. */
  region: string;
  /** The posture's monitoring.alertEmails: each gets an email subscription (confirmed by the recipient). */
  emails: readonly string[];
  /** KMS key for the topic (its policy must let CloudWatch and EventBridge use it). */
  kmsKeyArn: pulumi.Input<string>;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/**
 * The one encrypted SNS topic every Rampart alert goes to, with an email subscription per posture
 * address and a policy letting CloudWatch alarms and EventBridge rules publish. Shared by the AWS
 * profile (inside `Alarms`) and the Hetzner profile. Returns the topic's ARN.
 */
export function alertTopic(
  name: string,
  args: AlertTopicArgs,
  opts?: pulumi.CustomResourceOptions,
): pulumi.Output<string> {
  const { region } = args;
  const tags = args.tags ?? {};
  const topic = new aws.sns.Topic(`${name}-topic`, { region, kmsMasterKeyId: args.kmsKeyArn, tags }, opts);
  for (const [i, email] of args.emails.entries())
    new aws.sns.TopicSubscription(
      `${name}-email-${i}`,
      { region, topic: topic.arn, protocol: "email", endpoint: email },
      opts,
    );
  new aws.sns.TopicPolicy(
    `${name}-topic-policy`,
    {
      region,
      arn: topic.arn,
      policy: policyJson(
        policyDocument({
          Sid: "AlarmsAndEventsPublish",
          Effect: "Allow",
          Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
          Action: ["sns:Publish"],
          Resource: [topic.arn],
        }),
      ),
    },
    opts,
  );
  return topic.arn;
}

/**
 * Identity policy of a publisher outside AWS (the Hetzner job-failure alerts): sns:Publish on that one
 * topic; with an encrypted topic, the key only through SNS in `region` (SNS encrypts on its behalf).
 */
export const publishStatements = (
  topicArn: pulumi.Input<string>,
  region: string,
  keyArn?: pulumi.Input<string>,
): Statement[] => [
  allow("PublishAlerts", ["sns:Publish"], [topicArn]),
  ...(keyArn
    ? [
        allow("EncryptViaSns", ["kms:GenerateDataKey", "kms:Decrypt"], [keyArn], {
          StringEquals: { "kms:ViaService": `sns.${region}.amazonaws.com` },
        }),
      ]
    : []),
];
