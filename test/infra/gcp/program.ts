// Shared by the GCP tests: run the real profile for a stack under Pulumi mocks, with only the invokes
// and computed outputs the program is known to need.
import * as gcp from "@pulumi/gcp";
import { buildStack } from "../../../infra/stack.ts";
import { loadPosture, type Posture } from "../../../posture/index.ts";
import { type Recorded, recordProgram, tokenOf } from "../../support/pulumi-mocks.ts";

export const FIXED_NOW = new Date("2025-01-01T00:00:00Z");

export async function recordGcpStack(stack: string): Promise<{ posture: Posture; recorded: Recorded[] }> {
  const posture = loadPosture(stack);
  const recorded = await recordProgram(() => buildStack(posture), {
    stack,
    config: {
      "gcp:project": `${stack}-project`,
      "rampart:originCertificate": "-----BEGIN CERTIFICATE-----test",
      "rampart:originPrivateKey": "-----BEGIN PRIVATE KEY-----test",
    },
    invokes: {
      "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": () => ({
        emailAddress: "service-1@gs-project-accounts.iam.gserviceaccount.com",
      }),
      "cloudflare:index/getZone:getZone": (a) => ({ id: `zone-of-${JSON.stringify(a.filter)}` }),
    },
    outputs: (r) =>
      r.type === tokenOf(gcp.projects.ServiceIdentity)
        ? {
            email: `agent@${String(r.inputs.service)}`,
            member: `serviceAccount:agent@${String(r.inputs.service)}`,
          }
        : r.type === tokenOf(gcp.serviceaccount.Account)
          ? { email: `${String(r.inputs.accountId)}@sa.test` }
          : {},
  });
  return { posture, recorded };
}
