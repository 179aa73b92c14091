import { Option } from "commander";

/**
 * The one table of shared CLI options (pgBackRest style): parsing, help and redaction derive from it.
 * Commands pick the options they take with `option(name)`. Secrets are never options: they come from
 * env or files, and options marked `secretFile` only ever carry a path.
 */
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
  jobs: { flags: "-j, --jobs <n>", help: "parallel pg_restore jobs (default: number of cores)" },
} as const satisfies Record<
  string,
  { flags: string; help: string; env?: string; default?: string; secretFile?: boolean }
>;

export type OptionName = keyof typeof OPTIONS;

export function option(name: OptionName): Option {
  const spec = OPTIONS[name] as { flags: string; help: string; env?: string; default?: string };
  const o = new Option(spec.flags, spec.help);
  if (spec.env) o.env(spec.env);
  if (spec.default !== undefined) o.default(spec.default);
  return o;
}
