// Pulumi entry point (Pulumi.yaml: main: infra/). The whole program is driven by `rampart:posture`.
import * as pulumi from "@pulumi/pulumi";
import { parsePosture } from "../posture/index.ts";
import { buildStack, type StackOutputs } from "./stack.ts";

/** Pulumi exports the resolved value of the default export's promise as the stack outputs. */
export default async function main(): Promise<StackOutputs> {
  const stack = pulumi.getStack();
  const raw = new pulumi.Config("rampart").requireObject<unknown>("posture");
  const posture = parsePosture(raw, { stack, file: `stacks/Pulumi.${stack}.yaml` });
  return buildStack(posture);
}
