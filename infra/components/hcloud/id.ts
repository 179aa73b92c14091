/** Hetzner ids are integers; Pulumi carries every resource id as a string. */
export const hcloudId = (id: string): number => Number.parseInt(id, 10);
