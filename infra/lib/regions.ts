import { ConfigError, type Posture } from "../../posture/index.ts";

/**
 * Whether a provider location lies inside one of the allowed regions. A zone or datacenter of an
 * allowed region counts (GCP `europe-west6-a`, AWS `eu-central-1a`, Hetzner `nbg1-dc3`); case is ignored
 * (GCS reports `EUROPE-WEST6`). Multi-regions such as `EU` or `global` never count.
 */
export function isAllowedLocation(allowed: readonly string[], location: string): boolean {
  const loc = location.toLowerCase();
  return allowed.some((region) => {
    const r = region.toLowerCase();
    if (loc === r) return true;
    if (!loc.startsWith(r)) return false;
    return /^(-[a-z]|[a-z]|-dc\d+)$/.test(loc.slice(r.length));
  });
}

/** Fail early, before any resource exists, when a component is asked to place something outside the posture. */
export function requireAllowedLocation(posture: Posture, location: string, what: string): string {
  if (!isAllowedLocation(posture.regions.allowed, location))
    throw new ConfigError(
      posture.source.file,
      [
        `${posture.source.file}: ${what} would be placed in "${location}", outside regions.allowed [${posture.regions.allowed.join(", ")}]`,
      ],
      "add the region to rampart:posture.regions.allowed or pick an allowed region",
    );
  return location;
}

/** Input keys that place a resource or its data somewhere (any depth). Probe origins such as uptime `selectedRegions` are not placements. */
const PLACEMENT_KEYS = new Set([
  "location",
  "region",
  "zone",
  "availabilityZone",
  "datacenter",
  "allowedPersistenceRegions",
]);

/** Every location string found in a resource's inputs (nested objects and arrays included). */
export function locationsIn(inputs: unknown, key = ""): string[] {
  if (typeof inputs === "string") return PLACEMENT_KEYS.has(key) ? [inputs] : [];
  if (Array.isArray(inputs)) return inputs.flatMap((v) => locationsIn(v, key));
  if (inputs && typeof inputs === "object")
    return Object.entries(inputs).flatMap(([k, v]) => locationsIn(v, k));
  return [];
}
