// Shared by the Hetzner tests: run the real profile for a stack under Pulumi mocks, with only the
// invokes the program is known to need and the computed outputs the mocks cannot derive from inputs.
import * as aws from "@pulumi/aws";
import * as hcloud from "@pulumi/hcloud";
import { buildStack } from "../../../infra/stack.ts";
import { loadPosture, type Posture } from "../../../posture/index.ts";
import { type Recorded, recordProgram, tokenOf } from "../../support/pulumi-mocks.ts";

/** Marker in every mocked access key secret: it must never appear outside a Pulumi secret. */
export const SECRET_MARK = "MOCK-SECRET-ACCESS-KEY";
export const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockKey admin@example";
const ACCOUNT = "123456789012";

export async function recordHetznerStack(
  stack: string,
  config: Record<string, string> = { "rampart:sshPublicKey": SSH_KEY },
): Promise<{ posture: Posture; recorded: Recorded[] }> {
  const posture = loadPosture(stack);
  const recorded = await recordProgram(() => buildStack(posture), {
    stack,
    config,
    invokes: {
      "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        accountId: ACCOUNT,
        arn: `arn:aws:iam::${ACCOUNT}:root`,
        userId: "x",
      }),
      "cloudflare:index/getZone:getZone": () => ({ id: "zone-1" }),
    },
    outputs: (r) => {
      const region = String(r.inputs.region);
      if (r.type === tokenOf(hcloud.Volume)) return { linuxDevice: "/dev/disk/by-id/scsi-0HC_Volume_4242" };
      if (r.type === tokenOf(aws.iam.AccessKey)) return { secret: `${SECRET_MARK}-${r.name}` };
      if (r.type === tokenOf(aws.kms.Key)) return { arn: `arn:aws:kms:${region}:${ACCOUNT}:key/${r.name}` };
      // The job-failure alert key's policy and the server's alerts.env name the topic.
      if (r.type === tokenOf(aws.sns.Topic)) return { arn: `arn:aws:sns:${region}:${ACCOUNT}:${r.name}` };
      if (r.type === tokenOf(aws.secretsmanager.Secret))
        return { arn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${String(r.inputs.name)}-AbCdEf` };
      if (r.type === tokenOf(aws.sesv2.EmailIdentity))
        return {
          arn: `arn:aws:ses:${region}:${ACCOUNT}:identity/${String(r.inputs.emailIdentity)}`,
          dkimSigningAttributes: { tokens: ["t1", "t2", "t3"] },
        };
      return {};
    },
  });
  return { posture, recorded };
}
