import { z } from "zod";
import { email, positiveInt, secretRef } from "./common.ts";

export const monitoring = z.strictObject({
  alertEmails: z.array(email).default([]),
  uptime: z
    .strictObject({
      /** Paths on the edge domain checked from outside. */
      paths: z.array(z.string().startsWith("/")).default(["/healthz"]),
      periodSeconds: z.union([z.literal(60), z.literal(300), z.literal(600), z.literal(900)]).default(60),
    })
    .prefault({}),
  /** Sentry DSN by reference (secret name); null = no Sentry. */
  sentryDsnSecret: secretRef.nullable().default(null),
  /** Audit/access logs kept this many days. */
  auditLogDays: z.number().int().min(30).max(3650).default(400),
  /** Alert when no successful backup has been logged for this long. */
  backupFreshnessMinutes: positiveInt.default(300),
});
