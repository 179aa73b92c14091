import { randomBytes } from "node:crypto";

/** Database names become part of object keys: keep them to the characters a manifest id allows. */
const safeName = (database: string) => database.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 63) || "db";

/** `20261121T040012Z-shop-1a2b`: sorts by time, unique across concurrent stacks writing to one store. */
export function newBackupId(database: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
  return `${stamp}-${safeName(database)}-${randomBytes(2).toString("hex")}`;
}
