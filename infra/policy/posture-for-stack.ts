import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPosture, type Posture, projectRoot } from "../../posture/index.ts";

/**
 * CrossGuard does not hand a policy the stack's config, but every URN names the stack
 * (`urn:pulumi:<stack>::<project>::<type>::<name>`). The pack reads the same file the program does:
 * stacks/Pulumi.<stack>.yaml under the project root (the directory holding Pulumi.yaml above this pack).
 */
export function stackOfUrn(urn: string): string {
  const m = /^urn:pulumi:([^:]+)::/.exec(urn);
  if (!m?.[1]) throw new Error(`not a Pulumi URN: ${urn}`);
  return m[1];
}

const cache = new Map<string, Posture>();
const root = projectRoot(dirname(fileURLToPath(import.meta.url)));

export function postureForUrn(urn: string): Posture {
  const stack = stackOfUrn(urn);
  let p = cache.get(stack);
  if (!p) {
    p = loadPosture(stack, root);
    cache.set(stack, p);
  }
  return p;
}
