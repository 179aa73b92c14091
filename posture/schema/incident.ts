import { z } from "zod";
import { email, positiveInt, url } from "./common.ts";

export const incident = z.strictObject({
  contacts: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        role: z.string().min(1),
        email,
        phone: z.string().optional(),
      }),
    )
    .min(1, { message: "at least one incident contact is required" }),
  /** Severity assessed within this many minutes of detection. */
  triageMinutes: positiveInt.default(30),
  /** Affected customers notified within this many hours of a confirmed breach. */
  notifyCustomersHours: positiveInt.default(72),
  /** Regulator notified within this many hours (GDPR Art. 33: 72). */
  notifyRegulatorHours: positiveInt.default(72),
  /** Who the regulator is, for the runbook (e.g. "EDÖB", "Data Protection Board of India"). */
  regulator: z.string().optional(),
  statusPage: url.optional(),
  postmortemDays: positiveInt.default(14),
});

export const disclosure = z.strictObject({
  contact: email,
  policyUrl: url.optional(),
  acknowledgeHours: positiveInt.default(72),
  fixCriticalDays: positiveInt.default(30),
});
