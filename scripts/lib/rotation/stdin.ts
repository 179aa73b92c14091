import { createInterface } from "node:readline/promises";
import { text } from "node:stream/consumers";

/**
 * A value a human pastes: on a terminal, prompt on stderr and read one line; otherwise read all of stdin
 * (`rampart rotate vendor-key < key.txt`). Values never travel in argv.
 */
export async function readInput(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return text(process.stdin);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(`${prompt}\n> `);
  } finally {
    rl.close();
  }
}
