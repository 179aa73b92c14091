import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/**
 * A PostgreSQL SCRAM-SHA-256 verifier (what `password_encryption = scram-sha-256` stores). Rampart sends
 * the verifier, never the plaintext password, in ALTER ROLE — so the password cannot end up in the
 * server's statement log. Passwords rampart generates are ASCII, so SASLprep is the identity.
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  salted.fill(0);
  clientKey.fill(0);
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
