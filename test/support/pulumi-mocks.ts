// The test preset of the product recorder (scripts/lib/plan/record.ts): preview semantics, logical
// `${name}-id` ids and no ARNs, secrets left wrapped (so snapshots can prove none leaks), and any invoke a test does
// not answer fails the recording.
import {
  type InvokeAnswers,
  type Recorded,
  type RecordOptions,
  recordProgram as record,
} from "../../scripts/lib/plan/record.ts";

export { tokenOf } from "../../infra/policy/tokens.ts";
export type { Recorded };

/** Invokes a test means to answer: token → result. Any other invoke throws, so nothing is mocked by accident. */
export type InvokeMocks = InvokeAnswers;

export function recordProgram(
  program: () => unknown,
  opts: Pick<RecordOptions, "invokes" | "project" | "stack" | "config" | "outputs"> = {},
): Promise<Recorded[]> {
  return record(program, {
    stack: "test",
    dryRun: true,
    ids: "logical",
    arns: false,
    unwrapSecrets: false,
    unanswered: (token, inputs) =>
      `unexpected invoke ${token}(${JSON.stringify(inputs)}): mock it explicitly`,
    ...opts,
  });
}

export const ofType = (rs: readonly Recorded[], type: string) => rs.filter((r) => r.type === type);

export function one(rs: readonly Recorded[], type: string, nameIncludes = ""): Recorded {
  const found = rs.filter((r) => r.type === type && r.name.includes(nameIncludes));
  if (found.length !== 1)
    throw new Error(
      `expected exactly one ${type} named *${nameIncludes}*, found ${found.map((r) => r.name).join(", ") || "none"}`,
    );
  return found[0] as Recorded;
}
