import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDataPlaneConfig } from '../src/config.ts';
import { nextRetryDelay } from '../src/engine/retry.ts';
import { runScriptNode } from '../src/engine/script-node.ts';
import type { PlanNode } from '../src/engine/plan.ts';
import { findSubprocessTools, SandboxPool, SubprocessSandbox } from '../src/sandbox/index.ts';

/** The language policy of script nodes: what a data plane allows, and what it says when it does not. */
const MiB = 1024 * 1024;
const limits = { timeoutMs: 5000, memoryBytes: 64 * MiB };
const root = path.resolve(import.meta.dirname, '../../..');
const ctx = { node: { id: 'n' }, attempt: 1, idempotencyKey: 'msg_1' };
const env = { DATABASE_URL: 'postgres://localhost/dp', REDIS_URL: 'redis://localhost:6379', CONTROL_PLANE_URL: 'http://localhost:3000' };

let everything: SandboxPool;
let jsOnly: SandboxPool;

beforeAll(async () => {
  const subprocess = new SubprocessSandbox(await findSubprocessTools(['python', 'shell']));
  everything = new SandboxPool({ size: 1, languages: ['javascript', 'typescript', 'python', 'shell'], subprocess });
  jsOnly = new SandboxPool({ size: 1 });
});
afterAll(async () => {
  await everything?.close();
  await jsOnly?.close();
});

const node = (language: string, code: string, extra: Partial<PlanNode> = {}): PlanNode => ({ id: 'enrich', type: 'script', language, code, ...extra });

describe('SCRIPT_LANGUAGES', () => {
  it('defaults to javascript and typescript, and takes a comma list', () => {
    expect(parseDataPlaneConfig(env).SCRIPT_LANGUAGES).toEqual(['javascript', 'typescript']);
    expect(parseDataPlaneConfig({ ...env, SCRIPT_LANGUAGES: ' python, shell,javascript,python ' }).SCRIPT_LANGUAGES).toEqual(['python', 'shell', 'javascript']);
    expect(parseDataPlaneConfig({ ...env, SCRIPT_PYTHON: '/opt/venv/bin/python' }).SCRIPT_PYTHON).toBe('/opt/venv/bin/python');
  });

  it('names the variable when a language is unknown', () => {
    expect(() => parseDataPlaneConfig({ ...env, SCRIPT_LANGUAGES: 'javascript,ruby' })).toThrow(
      /^Invalid data-plane configuration: SCRIPT_LANGUAGES\.1: must list languages among javascript, typescript, python, shell$/,
    );
  });
});

describe('runScriptNode', () => {
  it('refuses a language the data plane does not allow, for good (not retried)', async () => {
    const outcome = await runScriptNode({ sandbox: jsOnly, limits }, node('python', 'def main(input, ctx): return 1'), null, ctx);
    expect(outcome).toEqual({
      ok: false,
      error: { class: 'LanguageNotAllowed', message: 'this data plane does not run python scripts: its operator can allow them by adding python to SCRIPT_LANGUAGES' },
      logs: [],
    });
    expect(nextRetryDelay({ attempts: 5 }, 1, 'LanguageNotAllowed')).toBeNull();
    expect((await runScriptNode({ sandbox: jsOnly, limits }, node('shell', 'echo 1'), null, ctx)).ok).toBe(false);
  });

  it('checks the policy before compiling: a TypeScript syntax error in a disallowed language is not what it reports', async () => {
    const pythonOnly = new SandboxPool({ size: 1, languages: ['python'], subprocess: new SubprocessSandbox(await findSubprocessTools(['python'])) });
    try {
      const outcome = await runScriptNode({ sandbox: pythonOnly, limits }, node('typescript', 'export default (: oops'), null, ctx);
      expect(outcome).toMatchObject({ ok: false, error: { class: 'LanguageNotAllowed' } });
    } finally {
      await pythonOnly.close();
    }
  });

  it('runs each language in its sandbox, named after the node', async () => {
    const deps = { sandbox: everything, limits };
    expect(await runScriptNode(deps, node('javascript', 'export default (x, ctx) => x + ctx.attempt'), 1, ctx)).toEqual({ ok: true, output: 2, logs: [] });
    expect(await runScriptNode(deps, node('python', 'def main(x, ctx):\n    return x + ctx["attempt"]'), 1, ctx)).toEqual({ ok: true, output: 2, logs: [] });
    expect(await runScriptNode(deps, node('shell', 'echo $(( $(cat) + ORVANTA_ATTEMPT ))'), 1, ctx)).toEqual({ ok: true, output: 2, logs: [] });
    const failed = await runScriptNode(deps, node('python', 'def main(x, ctx):\n    raise RuntimeError("no")'), 1, ctx);
    expect(failed).toMatchObject({ ok: false, error: { class: 'ScriptError', name: 'RuntimeError', stack: expect.stringContaining('File "enrich.py", line 2, in main') } });
  });

  it("applies the node's own time limit", async () => {
    const outcome = await runScriptNode({ sandbox: everything, limits }, node('shell', 'sleep 5', { timeoutMs: 200 }), null, ctx);
    expect(outcome).toMatchObject({ ok: false, error: { class: 'SandboxTimeout', message: 'script exceeded its time limit of 200 ms' } });
  });

  it('reports a TypeScript compile error with the node, line and column', async () => {
    const outcome = await runScriptNode({ sandbox: everything, limits }, node('typescript', 'export default (: oops'), null, ctx);
    expect(outcome).toMatchObject({ ok: false, error: { class: 'InvalidScript', message: expect.stringMatching(/\.ts:1:\d+: /) }, logs: [] });
  });
});

describe('a data plane that allows python without bubblewrap', () => {
  it('refuses to start, with one line naming the problem', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'services/dataplane/src/main.ts'), 'worker'], {
      cwd: root,
      env: { ...env, NODE_ENV: 'test', MIGRATE_ON_START: 'false', SCRIPT_LANGUAGES: 'javascript,python', PATH: '/nonexistent', LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('Data plane failed to start: SCRIPT_LANGUAGES allows python, but bwrap was not found on PATH: install bubblewrap (Debian package bubblewrap)');
  });
});
