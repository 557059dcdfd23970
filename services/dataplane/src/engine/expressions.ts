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

function compile(source: string): jsonata.Expression {
  let expr = compiled.get(source);
  if (!expr) {
    try {
      expr = jsonata(source);
    } catch (err) {
      throw new ExpressionError(`invalid expression ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(source, expr);
  }
  return expr;
}

export interface EvaluateOptions {
  bindings?: Record<string, unknown>;
  timeoutMs?: number;
  maxDepth?: number;
}

export async function evaluate(source: string, input: unknown, options: EvaluateOptions = {}): Promise<unknown> {
  const expr = compile(source);
  const timeoutMs = options.timeoutMs ?? 1_000;
  const maxDepth = options.maxDepth ?? 500;
  const started = Date.now();
  let depth = 0;
  // Entry/exit hooks of jsonata's evaluator: the documented way to timebox an expression.
  const bindings: Record<string | symbol, unknown> = {
    ...options.bindings,
    [Symbol.for('jsonata.__evaluate_entry')]: () => {
      depth += 1;
      if (depth > maxDepth) throw new ExpressionError(`expression ${JSON.stringify(source)} recursed deeper than ${maxDepth}`);
      if (Date.now() - started > timeoutMs) throw new ExpressionError(`expression ${JSON.stringify(source)} ran longer than ${timeoutMs} ms`);
    },
    [Symbol.for('jsonata.__evaluate_exit')]: () => {
      depth -= 1;
    },
  };
  try {
    const value = await expr.evaluate(input, bindings as Record<string, unknown>);
    return normalize(value);
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    const e = err as { message?: string; position?: number };
    throw new ExpressionError(`expression ${JSON.stringify(source)} failed: ${e.message ?? String(err)}${e.position !== undefined ? ` (at position ${e.position})` : ''}`);
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
