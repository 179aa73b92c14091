/**
 * Type tokens taken from the provider SDK classes themselves (never typed by hand), so a renamed
 * resource type in a provider upgrade breaks the build of the rules instead of silently matching nothing.
 */
export function tokenOf(cls: { isInstance(o: unknown): boolean; name: string }): string {
  const t = (cls as unknown as { __pulumiType?: unknown }).__pulumiType;
  if (typeof t !== "string") throw new Error(`${cls.name} has no __pulumiType`);
  return t;
}
