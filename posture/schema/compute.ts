import { z } from "zod";
import { positiveInt } from "./common.ts";

const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$|^[0-9a-f:]+\/\d{1,3}$/i, {
  message: 'is not a CIDR block (e.g. "203.0.113.7/32")',
});

export const compute = z.strictObject({
  /** The application image (digest-pinned in production). */
  image: z.string().min(1).default("ghcr.io/example/app:latest"),
  port: z.number().int().min(1).max(65_535).default(8080),
  minInstances: z.number().int().min(0).max(100).default(1),
  maxInstances: z.number().int().min(1).max(1000).default(4),
  cpu: z.string().default("1"),
  memoryMb: positiveInt.default(512),
  /** Hetzner server type for the self-hosted profile. */
  serverType: z.string().default("cx22"),
  /** SSH allowed only from these (self-hosted profile). Empty = no SSH at all. */
  adminCidrs: z.array(cidr).default([]),
});

export const jobs = z.strictObject({
  /** The Rampart jobs image (see Dockerfile). */
  image: z.string().min(1).default("ghcr.io/example/rampart:0.1.0"),
  cpu: z.string().default("1"),
  memoryMb: positiveInt.default(1024),
});
