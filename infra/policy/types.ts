import type { Posture } from "../../posture/index.ts";

/**
 * A resource as every rule sees it, whatever recorded it: CrossGuard (props = inputs at preview/up)
 * or `rampart plan` (the mock runtime's recorded inputs). `type` is the provider type token.
 */
export type Subject = {
  type: string;
  name: string;
  /** Provider id when known (the plan recorder sets it; CrossGuard resource checks do not have it). */
  id?: string;
  props: Record<string, unknown>;
};

/**
 * One checked property. Rules report passes as well as failures: a pass is the proof a reviewer reads
 * ("numezis-backups versioning.enabled = true"), a failure is a violation with its fix.
 */
export type Finding = {
  claim: string;
  rule: string;
  /** Logical resource name, or null for a stack-level finding (e.g. "no backup schedule at all"). */
  resource: string | null;
  type: string | null;
  /** The input path checked, e.g. "versioning.enabled" or "settings.ipConfiguration.sslMode". */
  property: string;
  value: unknown;
  ok: boolean;
  /** For a pass: what it proves. For a failure: what is wrong. */
  message: string;
  /** How to fix a failure. */
  fix?: string;
};

/** A finding that failed: what CrossGuard reports and what makes `rampart plan` exit 1. */
export type Violation = Finding & { ok: false };

type RuleBase = {
  /** Unique policy name; always starts with the claim id, e.g. "storage.versioned.gcs-bucket". */
  name: string;
  claim: string;
  description: string;
  /** Extra condition beyond the claim's own `applies` (e.g. only for profiles with managed databases). */
  applies?: (p: Posture) => boolean;
};

/** Checks one resource of the listed types. */
export type ResourceRule = RuleBase & {
  kind: "resource";
  types: readonly string[];
  check: (r: Subject, p: Posture) => Finding[];
};

/** Checks the stack as a whole: required resources exist, side resources cover their buckets. */
export type StackRule = RuleBase & {
  kind: "stack";
  check: (rs: readonly Subject[], p: Posture) => Finding[];
};

export type Rule = ResourceRule | StackRule;
