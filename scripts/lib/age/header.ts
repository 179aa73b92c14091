/**
 * The age v1 header (https://age-encryption.org/v1): version line, `-> type args` stanzas with base64 bodies
 * wrapped at 64 columns, and `--- <MAC>`, an HMAC-SHA256 over everything up to and including `---` under
 * HKDF(file key, "header"). Parsing is strict, like the reference implementation.
 */
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

const VERSION_LINE = "age-encryption.org/v1";
/** Headers are small (a post-quantum stanza is ~1.6 KB); a bound keeps garbage input from being buffered. */
export const MAX_HEADER = 1024 * 1024;

export type Stanza = { args: string[]; body: Buffer };

/** Unpadded standard base64 (RFC 4648 without `=`). */
export const b64Encode = (data: Uint8Array) => Buffer.from(data).toString("base64").replace(/=+$/, "");

/** Strict unpadded base64: null for padding, foreign characters or non-canonical trailing bits. */
export function b64Decode(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return null;
  const data = Buffer.from(text, "base64");
  return b64Encode(data) === text ? data : null;
}

/** The header through `---` (the part the MAC covers). */
function encodeHeaderNoMac(stanzas: readonly Stanza[]): Buffer {
  let text = `${VERSION_LINE}\n`;
  for (const s of stanzas) {
    text += `-> ${s.args.join(" ")}\n`;
    const body = b64Encode(s.body);
    // Full 64-column lines, then a final shorter (possibly empty) line.
    for (let i = 0; i <= body.length; i += 64) text += `${body.slice(i, i + 64)}\n`;
  }
  return Buffer.from(`${text}---`);
}

function headerMac(fileKey: Uint8Array, headerNoMac: Buffer): Buffer {
  const key = Buffer.from(hkdfSync("sha256", fileKey, Buffer.alloc(0), "header", 32));
  try {
    return createHmac("sha256", key).update(headerNoMac).digest();
  } finally {
    key.fill(0);
  }
}

export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Buffer {
  const noMac = encodeHeaderNoMac(stanzas);
  return Buffer.concat([noMac, Buffer.from(` ${b64Encode(headerMac(fileKey, noMac))}\n`)]);
}

export function verifyHeaderMac(header: ParsedHeader, fileKey: Uint8Array): boolean {
  return timingSafeEqual(headerMac(fileKey, header.noMac), header.mac);
}

export type ParsedHeader = {
  stanzas: Stanza[];
  noMac: Buffer;
  mac: Buffer /** bytes incl. MAC line */;
  size: number;
};

/** Thrown for a malformed header; the message is shown to the user. */
export class HeaderError extends Error {}

/**
 * Parses the header at the start of `data`. Returns null while more bytes are needed; throws HeaderError
 * as soon as what has arrived cannot be an age v1 header.
 */
export function parseHeader(data: Buffer): ParsedHeader | null {
  const version = `${VERSION_LINE}\n`;
  const seen = data.subarray(0, version.length).toString("latin1");
  if (!version.startsWith(seen)) throw new HeaderError("not an age v1 file (unknown version line)");
  const macStart = data.indexOf("\n--- ");
  const end = macStart < 0 ? -1 : data.indexOf(10, macStart + 1);
  if (end < 0) {
    if (data.length > MAX_HEADER) throw new HeaderError("header too long");
    return null;
  }
  const lines = data.subarray(0, end).toString("latin1").split("\n");
  const macLine = lines.pop() as string;
  if (lines.shift() !== VERSION_LINE) throw new HeaderError("not an age v1 file (unknown version line)");
  const stanzas = parseStanzas(lines);
  const mac = b64Decode(macLine.slice(4));
  if (mac?.length !== 32) throw new HeaderError("malformed header MAC");
  return { stanzas, noMac: data.subarray(0, macStart + 4), mac, size: end + 1 };
}

function parseStanzas(lines: string[]): Stanza[] {
  const stanzas: Stanza[] = [];
  let i = 0;
  while (i < lines.length) {
    const argLine = lines[i++] as string;
    const args = argLine.split(" ");
    if (args.shift() !== "->" || args.length === 0 || args.some((a) => !/^[\x21-\x7e]+$/.test(a)))
      throw new HeaderError("malformed stanza");
    const parts: Buffer[] = [];
    for (;;) {
      const line = lines[i++];
      const part = line !== undefined && line.length <= 64 ? b64Decode(line) : null;
      if (line === undefined || part === null) throw new HeaderError("malformed stanza body");
      parts.push(part);
      if (line.length < 64) break;
    }
    stanzas.push({ args, body: Buffer.concat(parts) });
  }
  return stanzas;
}
