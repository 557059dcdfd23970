/** A JSON syntax error: what is wrong and the UTF-16 offset where it is. */
export type JsonSyntaxError = { offset: number; message: string };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_$][\w$]*/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

function describe(text: string, i: number): string {
  return i >= text.length ? 'end of input' : JSON.stringify(text[i]);
}

/**
 * Finds the first syntax error in strict JSON (RFC 8259, a leading BOM allowed), with a
 * message that names what was expected. `JSON.parse` messages differ between Node
 * versions and do not always carry a position, and parsing JSON as YAML would accept
 * comments, single quotes and bare words. Duplicate keys are rejected too: parsers
 * disagree on which one wins, and YAML documents reject them. Iterative, so deep nesting
 * cannot overflow the stack.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: { kind: '{' | '['; keys?: Set<string> }[] = [];
  let mode: 'value' | 'key' | 'after' = 'value';
  let lastComma = -1;
  const fail = (offset: number, message: string): JsonSyntaxError => ({ offset, message });

  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  // Returns an error, or advances `i` past the closing quote.
  const scanString = (): JsonSyntaxError | undefined => {
    const start = i++;
    for (;;) {
      if (i >= text.length) return fail(start, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u') {
          HEX4.lastIndex = i + 2;
          if (!HEX4.test(text)) return fail(i, 'invalid \\u escape: expected 4 hex digits');
          i += 6;
        } else return fail(i, `invalid escape sequence "\\${e ?? ''}"`);
      } else if (c === 0x0a || c === 0x0d) return fail(start, 'unterminated string (line break inside a string)');
      else if (c < 0x20) return fail(i, 'control characters in strings must be escaped');
      else i++;
    }
  };

  for (;;) {
    skipSpace();
    const c = text[i];
    if (mode === 'value' || mode === 'key') {
      const top = stack[stack.length - 1];
      if ((c === '}' || c === ']') && lastComma >= 0 && top) return fail(lastComma, `trailing comma before "${c}"`);
      if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) return fail(i, 'comments are not allowed in JSON');
    }
    if (mode === 'key') {
      if (c !== '"') return fail(i, `expected a property name in double quotes, found ${describe(text, i)}`);
      const keyStart = i;
      const err = scanString();
      if (err) return err;
      const key = JSON.parse(text.slice(keyStart, i)) as string;
      const keys = stack[stack.length - 1]!.keys!;
      if (keys.has(key)) return fail(keyStart, `duplicate key ${JSON.stringify(key)}`);
      keys.add(key);
      skipSpace();
      if (text[i] !== ':') return fail(i, `expected ":" after property name, found ${describe(text, i)}`);
      i++;
      mode = 'value';
      lastComma = -1;
      continue;
    }
    if (mode === 'value') {
      lastComma = -1;
      if (c === '{' || c === '[') {
        i++;
        skipSpace();
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++;
          mode = 'after';
        } else {
          stack.push(c === '{' ? { kind: c, keys: new Set() } : { kind: c });
          mode = c === '{' ? 'key' : 'value';
        }
        continue;
      }
      if (c === '"') {
        const err = scanString();
        if (err) return err;
      } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(text);
        if (!m) return fail(i, 'invalid number');
        i += m[0].length;
        if (/^-?0$/.test(m[0]) && /[0-9]/.test(text[i] ?? '')) return fail(i - 1, 'numbers must not have leading zeros');
      } else {
        WORD.lastIndex = i;
        const word = WORD.exec(text)?.[0];
        if (word === 'true' || word === 'false' || word === 'null') i += word.length;
        else if (word) return fail(i, `unexpected "${word}"; expected a value (strings must be in double quotes)`);
        else return fail(i, `expected a value, found ${describe(text, i)}`);
      }
      mode = 'after';
      continue;
    }
    // mode === 'after': a value just ended.
    const top = stack[stack.length - 1];
    if (!top) return i >= text.length ? undefined : fail(i, `unexpected ${describe(text, i)} after the end of the JSON value`);
    const close = top.kind === '{' ? '}' : ']';
    if (c === ',') {
      lastComma = i++;
      mode = top.kind === '{' ? 'key' : 'value';
    } else if (c === close) {
      i++;
      stack.pop();
    } else {
      const what = top.kind === '{' ? 'property value' : 'array element';
      return fail(i, `expected "," or "${close}" after ${what}, found ${describe(text, i)}`);
    }
  }
}
