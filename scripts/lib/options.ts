import { InvalidArgumentError, Option } from "commander";

/** A whole number ≥ 1; commander turns the error into a usage error (exit 2). */
function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`must be a positive integer, not ${value}`);
  return n;
}

/**
 * The one table of shared CLI options (pgBackRest style): parsing, help and redaction derive from it.
 * Commands pick the options they take with `option(name)`. Secrets are never options: they come from
 * env or files, and options marked `secretFile` only ever carry a path.
 */
type OptionSpec = {
  flags: string;
  help: string;
  env?: string;
  default?: string;
  /** Only ever a path to a secret, never the secret. */
  secretFile?: boolean;
  /** Parses and validates the value; a thrown InvalidArgumentError is a usage error. */
  parse?: (value: string) => unknown;
};

export const OPTIONS = {
  stack: {
    flags: "-s, --stack <name|path>",
    help: "stack name (stacks/Pulumi.<name>.yaml) or path to a stack file",
    env: "RAMPART_STACK",
    default: "local",
  },
  json: { flags: "--json", help: "print the result as JSON on stdout" },
  verbose: { flags: "-v, --verbose", help: "debug logging on stderr" },
  dryRun: { flags: "--dry-run", help: "show what would be done, change nothing" },
  backup: { flags: "-b, --backup <id|latest>", help: "backup id, or 'latest'", default: "latest" },
  target: {
    flags: "-t, --target <url|env:NAME>",
    help: "target database: a postgres:// URL without password (password via PGPASSWORD or ~/.pgpass), or env:NAME to read the URL from env",
  },
  identityFile: {
    flags: "-i, --identity-file <path>",
    help: "age identity file (default: the stack's secret store, secrets.ageIdentity)",
    env: "RAMPART_AGE_IDENTITY_FILE",
    secretFile: true,
  },
  sentryDsnFile: {
    flags: "--sentry-dsn-file <path>",
    help: "file holding the Sentry DSN (default: env SENTRY_DSN, else the secret monitoring.sentryDsnSecret)",
    env: "RAMPART_SENTRY_DSN_FILE",
    secretFile: true,
  },
  jobs: {
    flags: "-j, --jobs <n>",
    help: "parallel pg_restore jobs (default: number of cores)",
    parse: positiveInt,
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

export function option(name: OptionName): Option {
  const spec: OptionSpec = OPTIONS[name];
  const o = new Option(spec.flags, spec.help);
  if (spec.env) o.env(spec.env);
  if (spec.default !== undefined) o.default(spec.default);
  if (spec.parse) o.argParser(spec.parse);
  return o;
}
