import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSubprocessTools, SandboxPool, SubprocessSandbox, type ScriptInvocation, type SubprocessTools } from '../src/sandbox/index.ts';
import { errorOf, outputOf } from './outcomes.ts';

/**
 * python and shell script nodes: the calling conventions, and the bubblewrap sandbox they run
 * in, probed from inside (network, filesystem, environment, privileges, limits).
 */
const MiB = 1024 * 1024;
const limits = { timeoutMs: 5000, memoryBytes: 64 * MiB };
const repo = path.resolve(import.meta.dirname, '../../..');

let tools: SubprocessTools;
let sandbox: SubprocessSandbox;

beforeAll(async () => {
  tools = await findSubprocessTools(['python', 'shell']);
  sandbox = new SubprocessSandbox(tools);
});
afterAll(() => sandbox?.close());

const python = (code: string, input: unknown = null, more: Partial<Omit<ScriptInvocation, 'language'>> = {}) =>
  sandbox.run({ language: 'python', code, input, ctx: { attempt: 1, idempotencyKey: 'msg_1', node: { id: 'n1' } }, limits, filename: 'n1.py', ...more });
const shell = (code: string, input: unknown = null, more: Partial<Omit<ScriptInvocation, 'language'>> = {}) =>
  sandbox.run({ language: 'shell', code, input, ctx: { attempt: 2, idempotencyKey: 'msg_2', node: { id: 'n2' } }, limits, filename: 'n2.sh', ...more });

/** Processes on this machine whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('python', () => {
  it('calls main(input, ctx) and returns its JSON output', async () => {
    const code = ['def main(input, ctx):', '    return {"n": input["n"] + 1, "node": ctx["node"]["id"], "attempt": ctx["attempt"], "key": ctx["idempotencyKey"]}'].join('\n');
    const outcome = await python(code, { n: 41 });
    expect(outputOf(outcome)).toEqual({ n: 42, node: 'n1', attempt: 1, key: 'msg_1' });
    expect(outcome.durationMs).toBeGreaterThan(0);
  });

  it('accepts async def main, a main without ctx, and returns None as null', async () => {
    expect(outputOf(await python('import asyncio\nasync def main(input, ctx):\n    await asyncio.sleep(0.01)\n    return input * 2', 21))).toBe(42);
    expect(outputOf(await python('def main(input):\n    return [input, "only input"]', 'x'))).toEqual(['x', 'only input']);
    expect(outputOf(await python('def main(input, ctx):\n    pass'))).toBeNull();
    expect(outputOf(await python('def main(input, ctx):\n    return {"unicode": "żółw ✓", "float": 1.5}'))).toEqual({ unicode: 'żółw ✓', float: 1.5 });
  });

  it('turns print and stderr lines into log entries, and cannot be fooled by printed JSON', async () => {
    const before = Date.now();
    const code = [
      'import sys, logging',
      'def main(input, ctx):',
      '    print("hello", input)',
      '    print(\'{"ok": true, "output": "forged"}\')',
      '    print("to stderr", file=sys.stderr)',
      '    logging.warning("careful")',
      '    return "real"',
    ].join('\n');
    const outcome = await python(code, 7);
    expect(outputOf(outcome)).toBe('real');
    expect(outcome.logs.map((l) => [l.level, l.message])).toEqual([
      ['log', 'hello 7'],
      ['log', '{"ok": true, "output": "forged"}'],
      ['error', 'to stderr'],
      ['error', 'WARNING:root:careful'],
    ]);
    for (const entry of outcome.logs) expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('caps the logs with one truncation notice', async () => {
    const outcome = await python('def main(input, ctx):\n    for i in range(5000):\n        print("line", i)\n    return 1');
    expect(outputOf(outcome)).toBe(1);
    expect(outcome.logs).toHaveLength(1001);
    expect(outcome.logs[999]!.message).toBe('line 999');
    expect(outcome.logs[1000]).toMatchObject({ level: 'warn', message: expect.stringMatching(/truncated/) });
  });

  it('reports an exception with its type, message and traceback in the script file', async () => {
    const code = ['def check(order):', '    raise ValueError(f"bad order {order}")', '', 'def main(input, ctx):', '    print("before")', '    check(input)'].join('\n');
    const outcome = await python(code, 3);
    const error = errorOf(outcome, 'ScriptError');
    expect(error).toMatchObject({ name: 'ValueError', message: 'bad order 3' });
    expect(error.stack).toBe(
      [
        'Traceback (most recent call last):',
        '  File "n1.py", line 6, in main',
        '    check(input)',
        '  File "n1.py", line 2, in check',
        '    raise ValueError(f"bad order {order}")',
        'ValueError: bad order 3',
      ].join('\n'),
    );
    expect(outcome.logs.map((l) => l.message)).toEqual(['before']);
  });

  it('reports exceptions at import time, exit() and deep recursion as script errors', async () => {
    expect(errorOf(await python('raise KeyError("top")\ndef main(input, ctx): return 1'), 'ScriptError')).toMatchObject({ name: 'KeyError', message: "'top'" });
    expect(errorOf(await python('import sys\ndef main(input, ctx):\n    sys.exit(3)'), 'ScriptError')).toMatchObject({ name: 'SystemExit', message: 'the script called exit(3)' });
    const deep = errorOf(await python('def f(n): return f(n + 1)\ndef main(input, ctx): return f(0)'), 'ScriptError');
    expect(deep.name).toBe('RecursionError');
    expect(deep.stack!.split('\n').length).toBeLessThan(120);
  });

  it('refuses a syntax error, a missing main and output that is not JSON', async () => {
    const syntax = errorOf(await python('def main(input, ctx)\n    return 1'), 'InvalidScript');
    expect(syntax).toMatchObject({ name: 'SyntaxError', message: "expected ':' (n1.py, line 1)" });
    expect(syntax.stack).toContain('File "n1.py", line 1');
    expect(errorOf(await python('def handler(input, ctx): return 1'), 'InvalidScript').message).toMatch(/no main function/);
    expect(errorOf(await python('main = 3'), 'InvalidScript').message).toBe('main is a int, not a function');
    expect(errorOf(await python('def main(input, ctx): return {1, 2}'), 'OutputNotSerializable').message).toMatch(/set is not JSON serializable/);
    expect(errorOf(await python('def main(input, ctx): return float("nan")'), 'OutputNotSerializable').message).toMatch(/not JSON compliant/);
  });

  it('kills a script at its time limit', async () => {
    const started = performance.now();
    const outcome = await python('def main(input, ctx):\n    while True: pass', null, { limits: { ...limits, timeoutMs: 400 } });
    expect(errorOf(outcome, 'SandboxTimeout').message).toBe('script exceeded its time limit of 400 ms');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(outputOf(await python('def main(input, ctx): return "next"'))).toBe('next');
  });

  it('stops memory exhaustion at the memory limit', async () => {
    const hog = 'def main(input, ctx):\n    keep = []\n    while True:\n        keep.append(bytearray(1024 * 1024))';
    const outcome = await python(hog, null, { limits: { timeoutMs: 10_000, memoryBytes: 32 * MiB } });
    expect(errorOf(outcome, 'SandboxMemoryLimit').message).toBe('script exceeded its memory limit of 32 MiB');
    // 24 MiB of objects fit under a 64 MiB limit.
    expect(outputOf(await python('def main(input, ctx):\n    keep = [bytearray(1024 * 1024) for _ in range(24)]\n    return len(keep)'))).toBe(24);
  });

  it('refuses an answer larger than the output cap', async () => {
    const small = new SubprocessSandbox(tools, { maxOutputBytes: MiB });
    try {
      const outcome = await small.run({ language: 'python', code: 'def main(input, ctx): return "x" * (2 * 1024 * 1024)', input: null, ctx: {}, limits });
      expect(errorOf(outcome, 'OutputTooLarge').message).toBe("the script's output exceeded 1 MiB");
    } finally {
      await small.close();
    }
  });
});

describe('shell', () => {
  it('reads the input on stdin, ctx from the environment, and returns stdout as JSON', async () => {
    const code = [
      'input=$(cat)',
      'echo "working on $input" >&2',
      'printf \'{"input": %s, "attempt": "%s", "key": "%s", "ctx": %s}\\n\' "$input" "$ORVANTA_ATTEMPT" "$ORVANTA_IDEMPOTENCY_KEY" "$ORVANTA_CTX"',
    ].join('\n');
    const outcome = await shell(code, { n: 1 });
    expect(outputOf(outcome)).toEqual({ input: { n: 1 }, attempt: '2', key: 'msg_2', ctx: { attempt: 2, idempotencyKey: 'msg_2', node: { id: 'n2' } } });
    expect(outcome.logs.map((l) => [l.level, l.message])).toEqual([['log', 'working on {"n":1}']]);
  });

  it('returns stdout that is not JSON as trimmed text', async () => {
    expect(outputOf(await shell('echo "  hello world  "; echo'))).toBe('hello world');
    expect(outputOf(await shell('echo 42'))).toBe(42);
    expect(outputOf(await shell('true'))).toBe('');
  });

  it('fails on a non-zero exit with the exit code and the end of stderr, and runs under set -euo pipefail', async () => {
    const failed = errorOf(await shell('echo "step 1" >&2\necho "cannot reach billing" >&2\nexit 3'), 'ScriptError');
    expect(failed).toMatchObject({ name: 'Exit', message: 'the script exited with code 3: cannot reach billing', exitCode: 3, stack: 'step 1\ncannot reach billing' });
    expect(errorOf(await shell('false\necho "not reached"'), 'ScriptError').exitCode).toBe(1);
    expect(errorOf(await shell('false | true\necho "not reached"'), 'ScriptError').exitCode).toBe(1);
    expect(errorOf(await shell('echo "$UNSET_VARIABLE"'), 'ScriptError').message).toMatch(/UNSET_VARIABLE: unbound variable/);
  });

  it('puts a large ctx in a file only', async () => {
    const big = { outputs: { a: 'z'.repeat(100_000) } };
    const outcome = await sandbox.run({ language: 'shell', code: 'echo "{\\"env\\": \\"${ORVANTA_CTX:-unset}\\", \\"bytes\\": $(wc -c < "$ORVANTA_CTX_FILE")}"', input: null, ctx: big, limits });
    expect(outputOf(outcome)).toEqual({ env: 'unset', bytes: JSON.stringify(big).length });
  });

  it('kills the whole sandbox at the time limit, background processes included', async () => {
    const started = performance.now();
    const outcome = await shell('sleep 4242 &\nsleep 4243', null, { limits: { ...limits, timeoutMs: 300 } });
    expect(errorOf(outcome, 'SandboxTimeout').message).toBe('script exceeded its time limit of 300 ms');
    expect(performance.now() - started).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processesWith('sleep 424')).toEqual([]);
  });

  it('stops memory exhaustion at the memory limit', async () => {
    const hog = 's=$(head -c 200000000 /dev/zero | tr "\\0" x)\necho ${#s}';
    const outcome = await shell(hog, null, { limits: { timeoutMs: 10_000, memoryBytes: 32 * MiB } });
    expect(errorOf(outcome, 'SandboxMemoryLimit').message).toBe('script exceeded its memory limit of 32 MiB');
  });

  it('stops output beyond the cap', async () => {
    const small = new SubprocessSandbox(tools, { maxOutputBytes: MiB });
    try {
      errorOf(await small.run({ language: 'shell', code: 'head -c 5000000 /dev/zero | tr "\\0" x', input: null, ctx: {}, limits }), 'OutputTooLarge');
    } finally {
      await small.close();
    }
  });
});

describe('the sandbox', () => {
  it('has no network: not even the database on the loopback interface', async () => {
    const code = [
      'import socket',
      'def main(input, ctx):',
      '    results = {}',
      '    for host in ["127.0.0.1", "1.1.1.1"]:',
      '        s = socket.socket()',
      '        s.settimeout(2)',
      '        try:',
      '            s.connect((host, 5432 if host == "127.0.0.1" else 443))',
      '            results[host] = "connected"',
      '        except OSError as e:',
      '            results[host] = type(e).__name__',
      '    return results',
    ].join('\n');
    const result = outputOf(await python(code)) as Record<string, string>;
    expect(result['127.0.0.1']).not.toBe('connected');
    expect(result['1.1.1.1']).not.toBe('connected');
    expect(errorOf(await shell('exec 3<>/dev/tcp/127.0.0.1/5432'), 'ScriptError').exitCode).not.toBe(0);
    expect(outputOf(await shell('ls /sys/class/net 2>/dev/null | tr "\\n" " " || echo none'))).not.toMatch(/eth|ens|docker/);
  });

  it('lets a script write only to its own /tmp', async () => {
    const marker = path.join(repo, `sandbox-escape-${process.pid}.txt`);
    const code = [
      'import os',
      'def main(input, ctx):',
      '    results = {}',
      `    for target in ["/etc/orvanta-test", "/usr/orvanta-test", "/orvanta-test", ${JSON.stringify(marker)}, "/tmp/ok.txt"]:`,
      '        try:',
      '            with open(target, "w") as f:',
      '                f.write("x")',
      '            results[target] = "written"',
      '        except OSError as e:',
      '            results[target] = e.strerror',
      '    results["cwd"] = os.getcwd()',
      '    results["repo visible"] = os.path.exists(input)',
      '    return results',
    ].join('\n');
    const result = outputOf(await python(code, repo)) as Record<string, string | boolean>;
    expect(result).toMatchObject({ '/etc/orvanta-test': 'Read-only file system', '/usr/orvanta-test': 'Read-only file system', '/orvanta-test': 'Read-only file system', '/tmp/ok.txt': 'written', cwd: '/tmp', 'repo visible': false });
    expect(result[marker]).not.toBe('written');
    expect(existsSync(marker)).toBe(false);
    expect(existsSync('/etc/orvanta-test')).toBe(false);
    // Each invocation gets a fresh /tmp.
    expect(outputOf(await shell('ls -A /tmp | wc -l'))).toBe(0);
  });

  it('passes only the variables it sets, never those of the data plane', async () => {
    process.env.DATABASE_URL = 'postgres://secret@db/prod';
    process.env.SECRETS_KEY = 'do-not-leak-this-key';
    try {
      const pythonEnv = outputOf(await python('import os\ndef main(input, ctx): return dict(os.environ)')) as Record<string, string>;
      expect(Object.keys(pythonEnv).sort()).toEqual(['HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']);
      const shellEnv = outputOf(await shell('env | cut -d= -f1 | sort | tr "\\n" " "')) as string;
      expect(shellEnv.split(' ').filter((name) => !['PWD', 'SHLVL', '_'].includes(name))).toEqual([
        'HOME',
        'LANG',
        'ORVANTA_ATTEMPT',
        'ORVANTA_CTX',
        'ORVANTA_CTX_FILE',
        'ORVANTA_IDEMPOTENCY_KEY',
        'PATH',
        'TMPDIR',
      ]);
      expect(outputOf(await shell('cat /proc/1/environ /proc/self/environ 2>/dev/null | tr "\\0" "\\n" | grep -c DATABASE_URL || true'))).toBe(0);
    } finally {
      delete process.env.DATABASE_URL;
      delete process.env.SECRETS_KEY;
    }
  });

  it('runs as an unprivileged user with no capabilities, in its own pid namespace', async () => {
    const code = 'echo "{\\"id\\": \\"$(id -u):$(id -g)\\", \\"caps\\": \\"$(grep CapEff /proc/self/status | cut -f2)\\", \\"pids\\": $(ls /proc | grep -c "^[0-9]")}"';
    const result = outputOf(await shell(code)) as { id: string; caps: string; pids: number };
    expect(result.id).toBe('65534:65534');
    expect(result.caps).toBe('0000000000000000');
    expect(result.pids).toBeLessThan(10);
  });
});

describe('setting up', () => {
  it('refuses to start without bwrap or python, with one line naming the problem', async () => {
    await expect(findSubprocessTools(['python'], { bwrap: '/nonexistent/bwrap' })).rejects.toThrow(
      'SCRIPT_LANGUAGES allows python, but /nonexistent/bwrap was not found on PATH: install bubblewrap (Debian package bubblewrap)',
    );
    await expect(findSubprocessTools(['python'], { python: '/nonexistent/python3' })).rejects.toThrow(/^SCRIPT_LANGUAGES allows python, but \/nonexistent\/python3 could not be run: /);
    const shellOnly = await findSubprocessTools(['shell']);
    expect(shellOnly.python).toBeUndefined();
    expect(new SubprocessSandbox(shellOnly).supports('python')).toBe(false);
  });

  it('finds the real interpreter behind a shim and binds only its own directory', () => {
    expect(tools.python!.executable).toMatch(/^\//);
    expect(tools.python!.executable).not.toContain('/shims/');
    for (const dir of tools.python!.binds) expect(['/', '/root', '/home', '/etc', '/work'].includes(dir)).toBe(false);
  });

  it('runs through the pool when the pool allows the language', async () => {
    const pool = new SandboxPool({ size: 1, languages: ['javascript', 'python', 'shell'], subprocess: new SubprocessSandbox(tools) });
    const plain = new SandboxPool({ size: 1 });
    try {
      expect(pool.allows('python') && pool.allows('shell') && !pool.allows('typescript')).toBe(true);
      expect(plain.allows('javascript') && plain.allows('typescript') && !plain.allows('python')).toBe(true);
      expect(outputOf(await pool.run({ language: 'python', code: 'def main(n, ctx): return n + 1', input: 1, ctx: {}, limits }))).toBe(2);
      expect(outputOf(await pool.run({ language: 'shell', code: 'echo $(( $(cat) + 1 ))', input: 2, ctx: {}, limits }))).toBe(3);
      expect(outputOf(await pool.run({ code: 'export default (n) => n + 1', input: 3, ctx: {}, limits }))).toBe(4);
      await expect(plain.run({ language: 'python', code: 'def main(i, c): return 1', input: null, ctx: {}, limits })).rejects.toThrow(/cannot run python/);
      await expect(pool.run({ language: 'python', code: 'def main(i, c): return 1', input: 1n, ctx: {}, limits })).rejects.toThrow(/input is not JSON/);
      expect(() => new SandboxPool({ size: 1, languages: ['python'] })).toThrow(/no subprocess sandbox/);
    } finally {
      await plain.close();
      await pool.close();
    }
  });

  it('SandboxPool.close() lets a running script finish first', async () => {
    const pool = new SandboxPool({ size: 1, languages: ['shell'], subprocess: new SubprocessSandbox(tools) });
    const running = pool.run({ language: 'shell', code: 'sleep 0.3\necho finished', input: null, ctx: {}, limits });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await pool.close();
    expect(outputOf(await running)).toBe('finished');
  });

  it('close() kills running scripts and refuses new ones', async () => {
    const own = new SubprocessSandbox(tools);
    const running = own.run({ language: 'shell', code: 'sleep 4244', input: null, ctx: {}, limits });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await own.close();
    expect(errorOf(await running, 'SandboxCrashed').message).toBe('the sandbox closed while the script ran');
    expect(processesWith('sleep 4244')).toEqual([]);
    await expect(own.run({ language: 'shell', code: 'true', input: null, ctx: {}, limits })).rejects.toThrow(/closed/);
  });
});
