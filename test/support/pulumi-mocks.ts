import * as pulumi from "@pulumi/pulumi";

/** One resource as the program registered it: type token, logical name, and the inputs it was given. */
export type Recorded = { type: string; name: string; inputs: Record<string, unknown>; parent?: string };

/** Invokes a test means to answer: token → result. Any other invoke throws, so nothing is mocked by accident. */
export type InvokeMocks = Record<string, (args: Record<string, unknown>) => Record<string, unknown>>;

/**
 * Run a Pulumi program under the SDK's mock runtime and return every resource it registered with its
 * inputs. No Pulumi CLI, no credentials, no network. Resolves once no registration has happened for a
 * few event-loop turns (component children register asynchronously once their inputs resolve).
 */
export async function recordProgram(
  program: () => unknown,
  opts: {
    invokes?: InvokeMocks;
    project?: string;
    stack?: string;
    config?: Record<string, string>;
    /** Computed outputs a resource should report (e.g. a service account's email), merged over its inputs. */
    outputs?: (r: Recorded) => Record<string, unknown>;
  } = {},
): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  const unexpected: string[] = [];
  let lastChange = 0;
  let tick = 0;
  if (opts.config) pulumi.runtime.setAllConfig(opts.config);
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const r: Recorded = {
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
        };
        recorded.push(r);
        lastChange = tick;
        return {
          id: `${args.name}-id`,
          state: { ...args.inputs, name: args.inputs.name ?? args.name, ...opts.outputs?.(r) },
        };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        const mock = opts.invokes?.[args.token];
        if (!mock) {
          // Thrown here, the error would surface as an unhandled rejection deep in output serialization;
          // collected, recordProgram rejects with it once the program settles.
          unexpected.push(
            `unexpected invoke ${args.token}(${JSON.stringify(args.inputs)}): mock it explicitly`,
          );
          return {};
        }
        return mock(args.inputs as Record<string, unknown>);
      },
    },
    opts.project ?? "rampart",
    opts.stack ?? "test",
    true,
  );
  await program();
  // Wait until registrations settle: 25 quiet turns of the event loop.
  for (tick = 1; tick - lastChange < 25 || recorded.length === 0; tick++) {
    await new Promise((r) => setTimeout(r, 2));
    if (tick > 20_000) throw new Error("Pulumi program did not settle");
  }
  if (unexpected.length) throw new Error(unexpected.join("\n"));
  return recorded;
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

/** Type token of a provider resource class, taken from the SDK itself (never typed by hand). */
export function tokenOf(cls: { isInstance(o: unknown): boolean; name: string }): string {
  const t = (cls as unknown as { __pulumiType?: string }).__pulumiType;
  if (!t) throw new Error(`${cls.name} has no __pulumiType`);
  return t;
}
