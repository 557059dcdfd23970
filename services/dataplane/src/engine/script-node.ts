import { transform } from 'esbuild';
import type { LogEntry, SandboxLanguage, SandboxLimits, SandboxPool } from '../sandbox/index.ts';
import type { PlanNode } from './plan.ts';

export interface ScriptNodeDeps {
  /** Runs the script; also says which languages this data plane allows (its SCRIPT_LANGUAGES). */
  sandbox: SandboxPool;
  /** Defaults of every script invocation; a node's `timeoutMs` overrides the time limit. */
  limits: SandboxLimits;
}

interface ScriptFailure {
  class: string;
  message: string;
  [detail: string]: unknown;
}

export type ScriptNodeOutcome = { ok: true; output: unknown; logs: unknown[] } | { ok: false; error: ScriptFailure; logs: unknown[] };

/** TypeScript is compiled (types stripped) once per source; JavaScript runs as written. */
const compiledTypeScript = new Map<string, string>();
async function scriptSource(node: PlanNode): Promise<{ ok: true; code: string } | { ok: false; error: ScriptFailure }> {
  const code = String(node.code);
  if (node.language !== 'typescript') return { ok: true, code };
  const cached = compiledTypeScript.get(code);
  if (cached !== undefined) return { ok: true, code: cached };
  try {
    const out = await transform(code, { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: `${node.id}.ts` });
    if (compiledTypeScript.size > 1000) compiledTypeScript.clear();
    compiledTypeScript.set(code, out.code);
    return { ok: true, code: out.code };
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { line: number; column: number } }[] }).errors ?? [];
    const message = errors.map((e) => (e.location ? `${node.id}.ts:${e.location.line}:${e.location.column}: ${e.text}` : e.text)).join('; ') || (err as Error).message;
    return { ok: false, error: { class: 'InvalidScript', message } };
  }
}

/** How each language of the spec runs, and the extension its file gets in stack traces. */
const RUNS_AS: Record<string, { language: SandboxLanguage; extension: string }> = {
  javascript: { language: 'javascript', extension: 'js' },
  typescript: { language: 'javascript', extension: 'ts' },
  python: { language: 'python', extension: 'py' },
  shell: { language: 'shell', extension: 'sh' },
};

/**
 * Runs a `script` node: refuses a language this data plane does not allow (non-retryable
 * `LanguageNotAllowed`, naming the variable that allows it), compiles TypeScript, then runs
 * the code in the sandbox: JavaScript in QuickJS, python and shell under bubblewrap. `onLog`
 * hears each log line while the script runs (the outcome still carries them all).
 */
export async function runScriptNode(deps: ScriptNodeDeps, node: PlanNode, input: unknown, ctx: Record<string, unknown>, onLog?: (entry: LogEntry) => void): Promise<ScriptNodeOutcome> {
  const language = String(node.language);
  const runsAs = RUNS_AS[language];
  if (!runsAs || !deps.sandbox.allows(language)) {
    const message = `this data plane does not run ${language} scripts: its operator can allow them by adding ${language} to SCRIPT_LANGUAGES`;
    return { ok: false, error: { class: 'LanguageNotAllowed', message }, logs: [] };
  }
  const source = await scriptSource(node);
  if (!source.ok) return { ok: false, error: source.error, logs: [] };
  const outcome = await deps.sandbox.run({
    language: runsAs.language,
    code: source.code,
    filename: `${node.id}.${runsAs.extension}`,
    input,
    ctx,
    limits: { ...deps.limits, timeoutMs: node.timeoutMs ?? deps.limits.timeoutMs },
    ...(onLog ? { onLog } : {}),
  });
  return outcome.ok ? { ok: true, output: outcome.output, logs: outcome.logs } : { ok: false, error: { ...outcome.error }, logs: outcome.logs };
}
