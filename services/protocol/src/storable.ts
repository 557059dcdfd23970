/**
 * Postgres cannot store U+0000 (NUL) in text or jsonb. A value holding one is refused where it
 * enters (a run's input, an edited payload, a webhook delivery, a node's output) with a message
 * saying where, rather than failing at the database as an internal error.
 */

/** Where the first NUL of a JSON value is, as a path (`$.lines[2].sku`, `$["a b"]`), or undefined. `json` is the value's JSON text, if the caller has it. */
export function nulPath(value: unknown, json?: string): string | undefined {
  // JSON text writes NUL as \u0000: nothing to look for without one.
  if (!(json ?? JSON.stringify(value) ?? '').includes('\\u0000')) return undefined;
  return find(value, '$');
}

function find(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = find(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
      if (key.includes('\0')) return at;
      const found = find(item, at);
      if (found) return found;
    }
  }
  return undefined;
}

/** The sentence for a refusal: `${what} holds a NUL character…`. */
export function nulProblem(what: string, path: string): string {
  return `${what} holds a NUL character (U+0000) at ${path}, which cannot be stored. Remove it, or send binary data encoded (base64).`;
}

/** A copy of a JSON value with every NUL in its strings and keys replaced by U+FFFD: for diagnostics (log lines, error messages), never for customer data. */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\0', '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replaceAll('\0', '\uFFFD'), withoutNul(v)])) as T;
  return value;
}
