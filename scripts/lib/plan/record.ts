import * as pulumi from "@pulumi/pulumi";
import { S3 } from "../../../infra/policy/rules/storage-s3.ts";

/** One resource as the program registered it: type token, logical name, provider id, and its inputs. */
export type Recorded = { type: string; name: string; id: string; inputs: Record<string, unknown> };

/** Invokes answered offline: token → result. Any other invoke fails the recording, so nothing is guessed. */
export type InvokeAnswers = Record<string, (args: Record<string, unknown>) => Record<string, unknown>>;

export type RecordOptions = {
  project?: string;
  stack?: string;
  /** Pulumi config (`ns:key` → string; objects JSON-encoded), as the program reads it. */
  config?: Record<string, string>;
  invokes?: InvokeAnswers;
  /** Computed outputs a resource reports (e.g. a service account's email), merged over its inputs. */
  outputs?: (r: Recorded) => Record<string, unknown>;
  /**
   * Preview semantics: outputs the mocks do not set are "unknown" (as in `pulumi preview`). Off (the
   * default), they resolve to undefined, so values built from them (e.g. cloud-init text) are still
   * recorded and checkable.
   */
  dryRun?: boolean;
  /**
   * physical (default): the id a provider would give (a bucket's id is its name), so side resources that
   * reference `bucket.id` point at the bucket's name. logical: `${name}-id`, stable whatever the inputs.
   */
  ids?: "physical" | "logical";
  /**
   * Every resource reports an ARN `arn:offline:<type>:<id>` (default), so policies built from ARNs are
   * checkable; off, ARNs stay as unset as any other computed output.
   */
  arns?: boolean;
  /** Record secret inputs as plain values (default) so rules can check them, or leave them wrapped. */
  unwrapSecrets?: boolean;
  /** The error line for an invoke nobody answers. */
  unanswered?: (token: string, inputs: Record<string, unknown>) => string;
};

/** The provider id a resource would get: for buckets and most named resources the id is the physical name. */
function physicalId(type: string, name: string, inputs: Record<string, unknown>): string {
  if (type === S3.bucket && typeof inputs.bucket === "string") return inputs.bucket;
  // S3 side resources (BucketPolicy, ...) also take `bucket`; their ids are their own.
  if (Object.values(S3).includes(type)) return `${name}-id`;
  return typeof inputs.name === "string" ? inputs.name : `${name}-id`;
}

/** The SDK's marker for a serialized secret: `{ [SECRET_SIG]: SECRET_SIG_VALUE, value }`. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Secrets reach the mocks wrapped; rules check the plain value (plan output never prints secrets' values it does not check). */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o && "value" in o) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

const cannotAnswer = (token: string) =>
  `the program calls ${token}, which rampart plan cannot answer offline`;

/**
 * Run a Pulumi program under the SDK's mock runtime and return every resource it registered with its
 * inputs. No Pulumi CLI, no credentials, no network. Resolves once no registration has happened for
 * 25 event-loop turns (component children register asynchronously once their inputs resolve).
 * The mock runtime is process-global: run one recording at a time.
 */
export async function recordProgram(program: () => unknown, opts: RecordOptions = {}): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  const unexpected: string[] = [];
  const unanswered = opts.unanswered ?? cannotAnswer;
  let lastChange = 0;
  let tick = 0;
  if (opts.config) pulumi.runtime.setAllConfig(opts.config);
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const inputs = (opts.unwrapSecrets === false ? args.inputs : unwrapSecrets(args.inputs)) as Record<
          string,
          unknown
        >;
        const id = opts.ids === "logical" ? `${args.name}-id` : physicalId(args.type, args.name, inputs);
        const r: Recorded = { type: args.type, name: args.name, id, inputs };
        recorded.push(r);
        lastChange = tick;
        const arn = opts.arns === false ? {} : { arn: `arn:offline:${args.type}:${id}` };
        return { id, state: { ...inputs, name: inputs.name ?? args.name, ...arn, ...opts.outputs?.(r) } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        const inputs = args.inputs as Record<string, unknown>;
        const answer = opts.invokes?.[args.token];
        if (answer) return answer(inputs);
        // Thrown here, the error would surface as an unhandled rejection inside output serialization;
        // collected, recordProgram rejects with it once the program settles.
        unexpected.push(unanswered(args.token, inputs));
        return {};
      },
    },
    opts.project ?? "rampart",
    opts.stack ?? "plan",
    opts.dryRun ?? false,
  );
  await program();
  // A program that registers nothing (external profile without edge) settles after ~500 quiet turns.
  for (tick = 1; tick - lastChange < 25 || (recorded.length === 0 && tick < 500); tick++) {
    await new Promise((r) => setTimeout(r, 2));
    if (tick > 20_000) throw new Error("the Pulumi program did not settle");
  }
  if (unexpected.length) throw new Error(unexpected.join("\n"));
  return recorded;
}
