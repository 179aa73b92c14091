// The Rampart CrossGuard pack: `pulumi preview --policy-pack infra/policy` (README.md, "Claims enforced").
import { PolicyPack } from "@pulumi/policy";
import { toPolicy } from "./pack.ts";
import { postureForUrn } from "./posture-for-stack.ts";
import { RULES } from "./rules/index.ts";

new PolicyPack("rampart", {
  description: "Every claim of the stack's posture (posture/claims.ts) that infrastructure can keep.",
  enforcementLevel: "mandatory",
  policies: RULES.map((rule) => toPolicy(rule, postureForUrn)),
});
