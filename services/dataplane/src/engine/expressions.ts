import jsonata from 'jsonata';

/**
 * JSONata expressions of workflow documents (`transform.expression`, `split.items`, edge
 * `when`, http templates), compiled once per process and evaluated under a time and depth
 * budget so a runaway expression fails its node instead of stalling a worker.
 */

export class ExpressionError extends Error {
  readonly class = 'ExpressionError';
}

const compiled = new Map<string, jsonata.Expression>();
const MAX_CACHED = 5_000;

export interface EvaluateOptions {
  bindings?: Record<string, unknown>;
  /** Wall-clock budget, in milliseconds (default 1000). */
  timeoutMs?: number;
  /** Deepest call stack allowed (default 500). */
  maxDepth?: number;
}

function compile(source: string, timeout: number, stack: number): jsonata.Expression {
  // jsonata's own guardrails (timeout, stack) are compile options: they are part of the key.
  const key = `${timeout}|${stack}|${source}`;
  let expr = compiled.get(key);
  if (!expr) {
    try {
      expr = jsonata(source, { timeout, stack });
    } catch (err) {
      throw new ExpressionError(`invalid expression ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, expr);
  }
  return expr;
}

export async function evaluate(source: string, input: unknown, options: EvaluateOptions = {}): Promise<unknown> {
  const expr = compile(source, options.timeoutMs ?? 1_000, options.maxDepth ?? 500);
  try {
    return normalize(await expr.evaluate(input, options.bindings));
  } catch (err) {
    const e = err as { message?: string; position?: number; code?: string };
    const reason = e.code === 'D1012' ? `ran longer than ${options.timeoutMs ?? 1_000} ms` : e.code === 'D1011' ? `recursed deeper than ${options.maxDepth ?? 500}` : (e.message ?? String(err));
    throw new ExpressionError(`expression ${JSON.stringify(source)} failed: ${reason}${e.position !== undefined ? ` (at position ${e.position})` : ''}`);
  }
}

/** JSONata returns arrays with a `sequence` flag and `undefined` for "nothing": plain JSON out. */
function normalize(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** JSONata's truthiness for `when`: empty arrays and strings, 0, null, false and "nothing" are false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}
