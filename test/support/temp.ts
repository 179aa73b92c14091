// Temporary directories under the OS temp dir, named by what made them.
import { mkdtempSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const tempDir = (prefix: string): Promise<string> => mkdtemp(join(tmpdir(), prefix));
export const tempDirSync = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));
