/**
 * Retry with exponential backoff and full jitter, shared by the S3 and GCS stores. Only errors that
 * `isTransient` accepts are retried (5xx, throttling, connection resets); anything else fails at once,
 * so a wrong bucket name or a missing permission is reported immediately instead of after minutes.
 */
export type RetryOptions = {
  /** Total tries, including the first. */
  attempts: number;
  /** First backoff ceiling; doubles per attempt, capped at `maxMs`. */
  baseMs: number;
  maxMs?: number;
  isTransient: (err: unknown) => boolean;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Stops waiting (and retrying) when aborted. */
  signal?: AbortSignal;
};

export const DEFAULT_RETRY = { attempts: 5, baseMs: 200, maxMs: 10_000 } as const;

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** The wait before try `attempt + 1`: full jitter, which spreads retries of many clients hitting the same
 * throttled endpoint, under a ceiling that doubles per attempt up to `maxMs`. */
export const backoffMs = (attempt: number, baseMs: number, maxMs: number): number =>
  Math.round(Math.random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1)));

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const maxMs = opts.maxMs ?? DEFAULT_RETRY.maxMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= opts.attempts || !opts.isTransient(error) || opts.signal?.aborted) throw error;
      const delayMs = backoffMs(attempt, opts.baseMs, maxMs);
      opts.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, opts.signal);
    }
  }
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Connection-level failures worth another try, whichever SDK surfaced them. */
export function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  if (err.name === "TimeoutError" || err.name === "RequestTimeout") return true;
  return err.cause !== undefined && err.cause !== err && isNetworkError(err.cause);
}

/** The HTTP status a store error carries: S3's `$metadata.httpStatusCode`, GCS's numeric `code`. */
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as { $metadata?: { httpStatusCode?: number }; code?: unknown } | null;
  return e?.$metadata?.httpStatusCode ?? (typeof e?.code === "number" ? e.code : undefined);
}

/** A transient HTTP status, or a connection-level failure: worth another try. */
export const isTransientHttpError = (err: unknown): boolean =>
  isTransientStatus(httpStatusOf(err)) || isNetworkError(err);

/** The store said no (4xx other than timeout and throttling): asking again gets the same answer. */
export function isRefusal(err: unknown): boolean {
  const status = httpStatusOf(err);
  return status !== undefined && status >= 400 && status < 500 && !isTransientStatus(status);
}

/** HTTP statuses that mean "try again later": throttling, timeouts and server errors. */
export const isTransientStatus = (status: number | undefined): boolean =>
  status !== undefined && (status === 408 || status === 429 || status >= 500);
