// Manifest table keys are quote_ident(schema) || '.' || quote_ident(table); pg_dump's TOC carries the
// raw names. A restore matches the two to start with the biggest tables.

/** `schema.table` with either part double-quoted as quote_ident writes it → [schema, table]. */
export function splitQualified(key: string): [string, string] | null {
  const parts: string[] = [];
  let i = 0;
  while (i <= key.length) {
    let part = "";
    if (key[i] === '"') {
      for (i++; i < key.length; i++) {
        if (key[i] === '"' && key[i + 1] === '"') part += key[i++];
        else if (key[i] === '"') break;
        else part += key[i];
      }
      if (key[i] !== '"') return null;
      i++;
    } else {
      const end = key.indexOf(".", i);
      part = key.slice(i, end < 0 ? key.length : end);
      i = end < 0 ? key.length : end;
    }
    parts.push(part);
    if (i >= key.length) break;
    if (key[i] !== ".") return null;
    i++;
  }
  return parts.length === 2 ? [parts[0] as string, parts[1] as string] : null;
}
