import type * as pulumi from "@pulumi/pulumi";
import type { Posture, Profile } from "../posture/index.ts";
import { EdgeZone } from "./components/cloudflare/edge.ts";

/** What a profile module returns: the stack outputs. */
export type StackOutputs = Record<string, pulumi.Input<unknown>>;
type ProfileBuilder = (posture: Posture) => StackOutputs;

/**
 * Profile modules load lazily: a GCP stack never loads @pulumi/aws, and each profile lives in its own
 * file (infra/profiles/<profile>.ts) exporting a function named after the profile.
 */
async function loadProfile(profile: Exclude<Profile, "external">): Promise<ProfileBuilder> {
  const mod: unknown = await import(`./profiles/${profile}.ts`);
  const fn = mod && typeof mod === "object" ? (mod as Record<string, unknown>)[profile] : undefined;
  if (typeof fn !== "function")
    throw new Error(`infra/profiles/${profile}.ts does not export a function named "${profile}"`);
  return fn as ProfileBuilder;
}

/**
 * Provision everything the posture promises. `external` provisions no cloud resources (the jobs run
 * against an existing Postgres and store), only the edge when one is set.
 */
export async function buildStack(posture: Posture): Promise<StackOutputs> {
  if (posture.profile === "external") {
    if (!posture.edge) return {};
    const edge = new EdgeZone("edge", { edge: posture.edge });
    return { edgeZoneId: edge.zoneId, edgeHostnames: edge.hostnames };
  }
  const build = await loadProfile(posture.profile);
  return build(posture);
}
