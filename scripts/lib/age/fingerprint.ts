import { createHash } from "node:crypto";

/**
 * Stable short name for a recipient, for manifests, logs and hints: the first 16 hex characters
 * (64 bits) of SHA-256 over the recipient string exactly as written (`age1...`). It identifies, it does
 * not authenticate: compare full recipients where it matters.
 */
export function recipientFingerprint(recipient: string): string {
  return createHash("sha256").update(recipient, "utf8").digest("hex").slice(0, 16);
}
