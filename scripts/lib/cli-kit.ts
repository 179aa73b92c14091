import type { Command } from "commander";

/**
 * What a command module exports. cli.ts discovers every file in scripts/commands/ and calls `register`,
 * so adding a command never edits a shared file. `order` sorts `rampart --help`.
 */
export type CommandModule = {
  order: number;
  register(program: Command, ctx: CliContext): void;
};

/** An action returns its exit code (0 ok, 1 failed check) or nothing (0); it throws on errors. */
export type Action<A extends unknown[]> = (...args: A) => Promise<number | undefined> | number | undefined;

export type CliContext = {
  /** Wrap a command action so its exit code is recorded once, at the CLI edge. */
  action<A extends unknown[]>(fn: Action<A>): (...args: A) => Promise<void>;
};

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
