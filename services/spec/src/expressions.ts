import jsonata from 'jsonata';
import { z } from 'zod';

/**
 * JSONata in workflow documents: `transform.expression`, `split.items`, edge `when` and
 * the `{{ expr }}` templates of http requests. Only syntax is checked here; what an
 * expression yields depends on the message, so evaluation errors surface at run time.
 */

/** A JSONata syntax error as `jsonata()` throws it: `position` is the character offset just past the offending token. */
export type JsonataSyntaxError = { message: string; position?: number; code?: string };

/** The syntax error of a JSONata expression, or `undefined` when it parses. */
export function jsonataSyntaxError(source: string): JsonataSyntaxError | undefined {
  try {
    jsonata(source);
    return undefined;
  } catch (err) {
    const e = (err ?? {}) as { message?: unknown; position?: unknown; code?: unknown };
    return {
      message: typeof e.message === 'string' ? e.message : String(err),
      ...(typeof e.position === 'number' ? { position: e.position } : {}),
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
    };
  }
}

/** `JSONata syntax error: <message> (at position N)`, N shifted by `offset` so it counts from the start of the field's string. */
function syntaxMessage(error: JsonataSyntaxError, offset = 0): string {
  return `JSONata syntax error: ${error.message}${error.position === undefined ? '' : ` (at position ${error.position + offset})`}`;
}

/** One `{{ expr }}` template in a string: the trimmed expression and where it starts in the string. */
export type TemplateExpression = { expression: string; offset: number };

/**
 * The `{{ expr }}` templates of a string, in order. An expression ends at the first `}}`,
 * so an object constructor closing two levels at once is written `} }`. A `{{` without a
 * closing `}}` is literal text.
 */
export function templateExpressions(text: string): TemplateExpression[] {
  const out: TemplateExpression[] = [];
  for (const match of text.matchAll(/\{\{([\s\S]+?)\}\}/g)) {
    const inner = match[1]!;
    const lead = inner.length - inner.trimStart().length;
    out.push({ expression: inner.trim(), offset: match.index + 2 + lead });
  }
  return out;
}

/** A zod refinement: one issue per template of the string with a JSONata syntax error; `path` is relative to the value being refined. */
export function checkTemplates(text: string, ctx: z.RefinementCtx, path: (string | number)[] = []): void {
  for (const { expression, offset } of templateExpressions(text)) {
    const error = jsonataSyntaxError(expression);
    if (error) ctx.addIssue({ code: 'custom', message: syntaxMessage(error, offset), path, input: text });
  }
}

/** A required JSONata expression field: not blank, syntactically valid. */
export function jsonataExpressionSchema(field: string, description: string) {
  return z
    .string()
    .min(1, { error: `${field} must not be empty` })
    .superRefine((source, ctx) => {
      if (source.length === 0) return; // reported by min()
      if (source.trim() === '') {
        ctx.addIssue({ code: 'custom', message: `${field} must not be empty`, input: source });
        return;
      }
      const error = jsonataSyntaxError(source);
      if (error) ctx.addIssue({ code: 'custom', message: syntaxMessage(error), input: source });
    })
    .describe(description);
}

/** A string whose `{{ expr }}` templates must be valid JSONata. */
export function templateStringSchema(description: string) {
  return z
    .string()
    .superRefine((text, ctx) => checkTemplates(text, ctx))
    .describe(description);
}

function describeValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'non-plain'} object`;
  return `a ${typeof value}`;
}

/**
 * Any JSON value whose strings (at any depth, object keys excepted) may hold templates.
 * Each problem is reported at its own path inside the value. Iterative, so deep nesting
 * cannot overflow the stack; a value that contains itself is reported, not walked forever.
 */
export function templateJsonSchema(field: string, description: string) {
  return z
    .unknown()
    .superRefine((root, ctx) => {
      // Paths are linked to their parent and built only for an issue: copying them per
      // frame would be quadratic in the nesting depth.
      type Path = { parent: Path; key: string | number } | null;
      type Frame = { value: unknown; path: Path; exit?: true };
      const toArray = (path: Path): (string | number)[] => {
        const out: (string | number)[] = [];
        for (let p = path; p; p = p.parent) out.push(p.key);
        return out.reverse();
      };
      const report = (path: Path, message: string, input: unknown) => ctx.addIssue({ code: 'custom', message, path: toArray(path), input });
      const ancestors = new Set<object>();
      const stack: Frame[] = [{ value: root, path: null }];
      while (stack.length > 0) {
        const { value, path, exit } = stack.pop()!;
        if (exit) {
          ancestors.delete(value as object);
          continue;
        }
        if (typeof value === 'string') {
          if (value.includes('{{')) checkTemplates(value, ctx, toArray(path));
        } else if (value === null || typeof value === 'boolean') continue;
        else if (typeof value === 'number') {
          if (!Number.isFinite(value)) report(path, `${field} must be JSON; ${describeValue(value)} is not a JSON number`, value);
        } else if (Array.isArray(value) || (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value)))) {
          if (ancestors.has(value)) {
            report(path, `${field} must be JSON; this value contains itself`, value);
            continue;
          }
          ancestors.add(value);
          stack.push({ value, path, exit: true });
          const entries: [string | number, unknown][] = Array.isArray(value) ? [...value.entries()] : Object.entries(value);
          for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], path: { parent: path, key: entries[i]![0] } });
        } else {
          report(path, `${field} must be JSON; ${describeValue(value)} is not a JSON value`, value);
        }
      }
    })
    .describe(description);
}
