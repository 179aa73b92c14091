/**
 * A mistake the user can fix: bad config, bad flags, a missing file. The CLI prints
 * `message` and each `hint` line, and exits 2 (config/usage) or 1 (operational),
 * without a stack trace. Anything that is not a UserError is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly hints: readonly string[];
  readonly exitCode: 1 | 2;

  constructor(
    message: string,
    opts: { hint?: string | readonly string[]; exitCode?: 1 | 2; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "UserError";
    this.hints = opts.hint === undefined ? [] : typeof opts.hint === "string" ? [opts.hint] : opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** A posture/config error: always exit code 2. `problems` are full `file: key: message` lines. */
export class ConfigError extends UserError {
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[], hint?: string) {
    super(
      problems.length === 1
        ? (problems[0] as string)
        : `${file}: ${problems.length} problems\n${problems.map((p) => `  ${p}`).join("\n")}`,
      { exitCode: 2, ...(hint === undefined ? {} : { hint }) },
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Labelled precondition (AWS Encryption SDK style): a failed `needs` is a bug, not a user error. */
export function needs(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`precondition failed: ${message}`);
}
