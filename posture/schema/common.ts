import { z } from "zod";
import { isCron } from "../cron.ts";

export const cron = (example: string) =>
  z.string().refine(isCron, {
    error: (i) => `${JSON.stringify(i.input)} is not a cron expression (e.g. "${example}")`,
  });

export const email = z.email({ error: (i) => `${JSON.stringify(i.input)} is not an email address` });
export const url = z.url({ error: (i) => `${JSON.stringify(i.input)} is not a URL` });
export const positiveInt = z.number().int().positive();
export const days = positiveInt.max(36_500);

/** A store URL: where backups or evidence live. */
export const storeUrl = z
  .string()
  .regex(/^(s3|gs):\/\/[a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9](\/.*)?$|^file:\/\/\/.+|^file:(?!\/)\S+$/, {
    message:
      'must be s3://bucket/prefix, gs://bucket/prefix, file:///absolute/path or file:path/relative/to/project (e.g. "s3://acme-backups/pg")',
  });

/** A secret by reference: a name in the stack's secret store. Never the value itself. */
export const secretRef = z.string().regex(/^[A-Za-z0-9_\-./]{1,128}$/, {
  message: "must be a secret name in the stack's secret store, not a value",
});
