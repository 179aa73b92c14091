/**
 * Redaction for logs, errors and Sentry events. Secrets registered with `registerSecret` are replaced
 * wherever they appear; connection strings lose their passwords; age identities and common key shapes are masked.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) secrets.add(value);
}

const PATTERNS: [RegExp, string][] = [
  [/AGE-SECRET-KEY-1[0-9A-Z]+/g, "AGE-SECRET-KEY-1[REDACTED]"],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*):[^@/\s]+@/gi, "$1:[REDACTED]@"],
  [
    /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?access[_-]?key)(["']?\s*[=:]\s*["']?)[^\s"'&,;]+/gi,
    "$1$2[REDACTED]",
  ],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, "[REDACTED PRIVATE KEY]"],
];

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join("[REDACTED]");
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

/** An error's message (or the thrown value as text), redacted: for logs, errors and evidence. */
export const redactedMessage = (err: unknown): string =>
  redact(err instanceof Error ? err.message : String(err));

/** Deep-redact any JSON-able value (strings redacted, keys that name secrets blanked). */
export function redactValue<T>(value: T): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactValue) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        /^(password|secret|token|identity|dsn|authorization|cookie|apiKey|api_key)$/i.test(k) &&
        typeof v === "string"
          ? "[REDACTED]"
          : redactValue(v);
    }
    return out as T;
  }
  return value;
}
