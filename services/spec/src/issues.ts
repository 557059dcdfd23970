import type { z } from 'zod';

/** One problem found in a workflow document. */
export type SpecIssue = {
  /** Where the problem is, as a property path such as `nodes[1].code`; `''` for the document itself. */
  path: string;
  /** The same location as a JSON Pointer (RFC 6901) such as `/nodes/1/code`; `''` for the document itself. */
  pointer: string;
  /** What is wrong, in one line. */
  message: string;
  /** 1-based line of the offending field (its parent object when the field is missing); set only when the source text is known. */
  line?: number;
  /** 1-based column matching `line`. */
  column?: number;
};

/** A path into the document: property names and array indexes. */
export type IssuePath = readonly (string | number)[];

/** The result of validating or parsing a workflow document. */
export type SpecResult<T> = { ok: true; document: T } | { ok: false; issues: SpecIssue[] };

/**
 * An issue before it is rendered; `at: 'key'` asks the locator for the position of the
 * property name rather than its value (unknown keys have no meaningful value position).
 */
export type RawIssue = { path: IssuePath; message: string; at?: 'key' | 'value' };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['nodes', 1, 'code']` → `nodes[1].code`; odd keys are quoted: `nodes[0]["a b"]`. */
export function formatPath(path: IssuePath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `['nodes', 1, 'code']` → `/nodes/1/code` (RFC 6901 escaping). */
export function formatPointer(path: IssuePath): string {
  return path.map((seg) => '/' + String(seg).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

export function toSpecIssue(raw: RawIssue, position?: { line: number; column: number }): SpecIssue {
  const issue: SpecIssue = { path: formatPath(raw.path), pointer: formatPointer(raw.path), message: raw.message };
  if (position) {
    issue.line = position.line;
    issue.column = position.column;
  }
  return issue;
}

function valueAt(root: unknown, path: IssuePath): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function hasKey(root: unknown, path: IssuePath): boolean {
  const parent = valueAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  return key !== undefined && parent !== null && typeof parent === 'object' && Object.prototype.hasOwnProperty.call(parent, key);
}

/**
 * Turns zod issues into raw issues with our wording: one issue per unknown key (named,
 * located at the key) and "is required" for missing fields instead of "received undefined".
 */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], input: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((seg): seg is string | number => typeof seg !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown key ${JSON.stringify(key)}`, at: 'key' });
    } else if (issue.code === 'invalid_key') {
      // A record key that fails its own schema (a header name, say): that schema's message, at the key.
      out.push({ path, message: issue.issues[0]?.message ?? issue.message, at: 'key' });
    } else if (issue.code === 'invalid_type' && path.length > 0 && !hasKey(input, path)) {
      out.push({ path, message: `${JSON.stringify(path[path.length - 1])} is required` });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}
