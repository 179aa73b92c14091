import type { RotatedSecret } from "../../../posture/schema/rotation.ts";
import { ageIdentity } from "./age-identity.ts";
import { apiKey } from "./api-key.ts";
import { jwtSigningKey } from "./jwt.ts";
import { postgresPassword } from "./postgres.ts";
import type { RotationKind } from "./types.ts";

const KINDS: { [K in RotatedSecret["kind"]]: RotationKind<Extract<RotatedSecret, { kind: K }>> } = {
  "postgres-password": postgresPassword,
  "jwt-signing-key": jwtSigningKey,
  "api-key": apiKey,
  "age-identity": ageIdentity,
};

export function kindOf(spec: RotatedSecret): RotationKind {
  return KINDS[spec.kind] as RotationKind;
}

/**
 * Emergency order (`--all --now`): first what grants live access to data (database logins), then what
 * mints sessions (JWT keys: rotating invalidates sessions signed with the old key), then third-party keys
 * (need a human), last the backup key (a leaked identity already reads the old backups; rotating it
 * protects only future ones, and it must not race a database rotation's evidence).
 */
const EMERGENCY_ORDER: RotatedSecret["kind"][] = [
  "postgres-password",
  "jwt-signing-key",
  "api-key",
  "age-identity",
];

export function emergencyOrder<T extends { spec: RotatedSecret; name: string }>(secrets: readonly T[]): T[] {
  return [...secrets].sort(
    (a, b) =>
      EMERGENCY_ORDER.indexOf(a.spec.kind) - EMERGENCY_ORDER.indexOf(b.spec.kind) ||
      a.name.localeCompare(b.name),
  );
}
