import { execFile, spawn, type ChildProcess, type StdioPipe } from 'node:child_process';
import { constants } from 'node:fs';
import { access, lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { toJson } from './pool.ts';
import type { LogEntry, ScriptError, ScriptInvocation, ScriptOutcome } from './types.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
/** bwrap itself needs no environment; the script's is set with --setenv. */
const NO_ENV = {} as NodeJS.ProcessEnv;

/** Languages run as subprocesses under bubblewrap. */
export type SubprocessLanguage = 'python' | 'shell';

/** Where the tools live, found once at start-up by `findSubprocessTools`. */
export interface SubprocessTools {
  /** Absolute path of `bwrap`. */
  bwrap: string;
  /** The real python interpreter (not a pyenv shim) and the directories it needs, bound read-only. */
  python?: { executable: string; binds: string[] };
  /** Absolute path of bash, inside the sandbox as outside. */
  bash?: string;
}

export interface SubprocessSandboxOptions {
  /** Largest answer accepted: the python result or the shell script's stdout. Default 10 MiB. */
  maxOutputBytes?: number;
  /** Log entries kept per invocation, then one `warn` entry saying the rest were dropped. Default 1,000. */
  maxLogEntries?: number;
  /** Characters of log text kept per invocation. Default 1 Mi. */
  maxLogChars?: number;
}

/** Inside the sandbox: the runner, the script and (shell) the ctx file live here, read-only. */
const SANDBOX_DIR = '/orvanta';
const RUNNER = fileURLToPath(new URL('./python-runner.py', import.meta.url));
/** Address space the python interpreter itself needs before the script allocates anything (measured ≈24 MiB). */
const PYTHON_BASELINE_BYTES = 32 * MiB;
/** Room for bash, the coreutils a script calls and their libraries, per process. */
const SHELL_BASELINE_BYTES = 16 * MiB;
/** Above this size ctx is only in $ORVANTA_CTX_FILE: one environment string may not exceed 128 KiB. */
const MAX_CTX_ENV_BYTES = 64 * 1024;
/** Lines of stderr quoted in the error of a script that failed. */
const STDERR_TAIL_LINES = 20;
/** Unprivileged inside the sandbox: nobody, with no capabilities. */
const SANDBOX_UID = '65534';
const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const SYSTEM_FILES = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/localtime'];
const PATH_INSIDE = '/usr/local/bin:/usr/bin:/bin';
/** The last stderr line of a process that died for want of memory (python, bash, libc's strerror). */
const MEMORY_MESSAGES = /MemoryError|Cannot allocate memory|out of memory|\bx(?:m|re)alloc: cannot allocate/i;

/**
 * Finds bwrap (and python or bash, as the languages need) and checks that bwrap can create a
 * sandbox here (a container may forbid user namespaces). Throws one clear line naming the
 * problem, for the data plane to refuse to start with.
 */
export async function findSubprocessTools(languages: readonly SubprocessLanguage[], names: { bwrap?: string; python?: string } = {}): Promise<SubprocessTools> {
  const wanted = [...new Set(languages)].join(' and ');
  const bwrapName = names.bwrap ?? 'bwrap';
  const bwrap = await which(bwrapName);
  if (!bwrap) throw new Error(`SCRIPT_LANGUAGES allows ${wanted}, but ${bwrapName} was not found on PATH: install bubblewrap (Debian package bubblewrap)`);
  const tools: SubprocessTools = { bwrap };
  if (languages.includes('python')) {
    const pythonName = names.python ?? 'python3';
    let info: { executable: string; prefix: string; base_prefix: string };
    try {
      const { stdout } = await run(pythonName, ['-I', '-c', 'import json, sys; print(json.dumps({"executable": sys.executable, "prefix": sys.prefix, "base_prefix": sys.base_prefix}))'], { timeout: 10_000 });
      info = JSON.parse(stdout) as typeof info;
    } catch (error) {
      throw new Error(`SCRIPT_LANGUAGES allows python, but ${pythonName} could not be run: ${firstLine(error)}`);
    }
    // Run as python reported it (a venv finds its pyvenv.cfg that way); bind where it really lives too.
    const binds = [info.base_prefix, info.prefix, path.dirname(info.executable), path.dirname(await realpath(info.executable))];
    if (binds.some((dir) => !path.isAbsolute(dir) || dir === '/')) throw new Error(`SCRIPT_LANGUAGES allows python, but ${pythonName} lives at / (prefix ${info.prefix}): point SCRIPT_PYTHON at an installation in its own directory`);
    tools.python = { executable: info.executable, binds: dropNested([...new Set(binds)].filter((dir) => !isSystemPath(dir))) };
  }
  if (languages.includes('shell')) {
    const bash = await which('bash');
    if (!bash || !isSystemPath(bash)) throw new Error('SCRIPT_LANGUAGES allows shell, but bash was not found in /usr or /bin');
    tools.bash = bash;
  }
  // A trial sandbox: fails where the kernel or a seccomp profile forbids what bwrap needs, or
  // the interpreter cannot start with only its own directories.
  try {
    const args = await sandboxArgs(tools, { tmpBytes: MiB, env: {}, files: [] });
    await run(bwrap, [...args, ...(tools.python ? [tools.python.executable, '-I', '-c', 'pass'] : ['/bin/sh', '-c', 'exit 0'])], { timeout: 10_000, env: NO_ENV });
  } catch (error) {
    throw new Error(`SCRIPT_LANGUAGES allows ${wanted}, but ${bwrap} cannot create a sandbox here: ${firstLine(error)}`);
  }
  return tools;
}

/**
 * Runs python and shell scripts as subprocesses, each in a fresh bubblewrap sandbox: no network
 * (own network namespace), own pid/ipc/uts namespaces, unprivileged user with no capabilities,
 * the system directories read-only, a private tmpfs /tmp as the working directory, and only the
 * environment variables given here. The whole sandbox is killed at the deadline.
 */
export class SubprocessSandbox {
  readonly #tools: SubprocessTools;
  readonly #maxOutputBytes: number;
  readonly #maxLogEntries: number;
  readonly #maxLogChars: number;
  readonly #running = new Map<ChildProcess, { kill(): void; done: Promise<void> }>();
  #closed = false;

  constructor(tools: SubprocessTools, options: SubprocessSandboxOptions = {}) {
    this.#tools = tools;
    this.#maxOutputBytes = options.maxOutputBytes ?? 10 * MiB;
    this.#maxLogEntries = options.maxLogEntries ?? 1000;
    this.#maxLogChars = options.maxLogChars ?? MiB;
  }

  supports(language: string): language is SubprocessLanguage {
    return (language === 'python' && !!this.#tools.python) || (language === 'shell' && !!this.#tools.bash);
  }

  /** Resolves once no script is running (new ones may start meanwhile and are not waited for). */
  async idle(): Promise<void> {
    await Promise.all([...this.#running.values()].map((script) => script.done));
  }

  /** Kills every running script (their invocations fail with `SandboxCrashed`) and refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    const running = [...this.#running.values()];
    for (const script of running) script.kill();
    await Promise.all(running.map((script) => script.done));
  }

  /**
   * python: `main(input, ctx)` of the module in `code`, answer on fd 3, stdout lines are `log`
   * entries and stderr lines `error` entries. shell: `bash -euo pipefail` with input on stdin
   * and ctx in the environment; stdout is the output (JSON if it parses, else the trimmed
   * text), stderr lines are `log` entries. Resolves with the outcome of every script problem.
   */
  async run(invocation: ScriptInvocation & { language: SubprocessLanguage }): Promise<ScriptOutcome> {
    if (this.#closed) throw new Error('SubprocessSandbox is closed');
    const { language, limits } = invocation;
    if (!this.supports(language)) throw new Error(`this subprocess sandbox was not set up for ${language}`);
    const inputJson = toJson(invocation.input, 'input');
    const ctxJson = toJson(invocation.ctx, 'ctx');
    const filename = safeFilename(invocation.filename, language === 'python' ? 'script.py' : 'script.sh');
    const scriptPath = `${SANDBOX_DIR}/${filename}`;
    const memoryKiB = Math.floor((limits.memoryBytes + (language === 'python' ? PYTHON_BASELINE_BYTES : SHELL_BASELINE_BYTES)) / 1024);
    // `ulimit -v` caps the address space of each process the script starts; `-f` what it may write.
    const limited = ['/bin/sh', '-c', 'ulimit -v "$1" && ulimit -f "$2" && shift 2 && exec "$@"', 'limits', String(memoryKiB), String(Math.ceil(limits.memoryBytes / 512))];
    const env: Record<string, string> = { PATH: PATH_INSIDE, HOME: '/tmp', TMPDIR: '/tmp', LANG: 'C.UTF-8' };
    // fd 0-2 are stdio; the files below become fds 3, 4, ... of bwrap, in this order.
    const files: { fd: number; data: string; dest: string }[] = [];
    let command: string[];
    let stdin: string;
    let resultFd: number | undefined;
    if (language === 'python') {
      resultFd = 3;
      files.push({ fd: 4, data: invocation.code, dest: scriptPath });
      command = [...limited, this.#tools.python!.executable, '-I', '-B', '-u', '-X', 'utf8', `${SANDBOX_DIR}/runner.py`, scriptPath, filename];
      stdin = `{"input":${inputJson},"ctx":${ctxJson}}`;
    } else {
      files.push({ fd: 3, data: invocation.code, dest: scriptPath }, { fd: 4, data: ctxJson, dest: `${SANDBOX_DIR}/ctx.json` });
      const ctx = (invocation.ctx ?? {}) as { attempt?: unknown; idempotencyKey?: unknown };
      Object.assign(env, {
        ORVANTA_CTX_FILE: `${SANDBOX_DIR}/ctx.json`,
        ORVANTA_ATTEMPT: String(ctx.attempt ?? ''),
        ORVANTA_IDEMPOTENCY_KEY: String(ctx.idempotencyKey ?? ''),
      });
      if (Buffer.byteLength(ctxJson) <= MAX_CTX_ENV_BYTES) env.ORVANTA_CTX = ctxJson;
      command = [...limited, this.#tools.bash!, '-euo', 'pipefail', scriptPath];
      stdin = inputJson;
    }
    const args = await sandboxArgs(this.#tools, { tmpBytes: limits.memoryBytes, env, files, runner: language === 'python' });
    return this.#spawn(language, [...args, ...command], { stdin, files, resultFd, limits, onLog: invocation.onLog });
  }

  #spawn(
    language: SubprocessLanguage,
    args: string[],
    o: { stdin: string; files: { fd: number; data: string }[]; resultFd?: number; limits: ScriptInvocation['limits']; onLog?: ScriptInvocation['onLog'] },
  ): Promise<ScriptOutcome> {
    const started = performance.now();
    const fds = Math.max(2, o.resultFd ?? 0, ...o.files.map((f) => f.fd));
    const child: ChildProcess = spawn(this.#tools.bwrap, args, { env: NO_ENV, stdio: new Array<StdioPipe>(fds + 1).fill('pipe') });
    const logs = new LogCollector(this.#maxLogEntries, this.#maxLogChars, o.onLog);
    const stderrTail: string[] = [];
    const answer: Buffer[] = [];
    let answerBytes = 0;
    /** Set when we end the script (deadline, output cap, close): it wins over whatever the script did. */
    let verdict: ScriptError | undefined;
    const stop = (error: ScriptError) => {
      verdict ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop({ class: 'SandboxTimeout', message: `script exceeded its time limit of ${o.limits.timeoutMs} ms` }), o.limits.timeoutMs);

    // A write that fails (the script exited without reading its input) is of no interest.
    const write = (fd: number, data: string) => {
      const stream = child.stdio[fd] as NodeJS.WritableStream & NodeJS.EventEmitter;
      stream.on('error', () => undefined);
      stream.end(data);
    };
    write(0, o.stdin);
    for (const file of o.files) write(file.fd, file.data);

    const outputStream = (o.resultFd !== undefined ? child.stdio[o.resultFd] : child.stdout) as NodeJS.ReadableStream;
    outputStream.on('data', (chunk: Buffer) => {
      answerBytes += chunk.length;
      if (answerBytes > this.#maxOutputBytes) stop({ class: 'OutputTooLarge', message: `the script's output exceeded ${formatBytes(this.#maxOutputBytes)}` });
      else answer.push(chunk);
    });
    const lines = (stream: NodeJS.ReadableStream, level: LogEntry['level'], tail?: string[]) => {
      stream.setEncoding('utf8');
      let partial = '';
      const add = (line: string) => {
        logs.add(level, line);
        if (!tail) return;
        tail.push(line);
        if (tail.length > STDERR_TAIL_LINES) tail.shift();
      };
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        // A line with no end in sight is cut where the log budget would end anyway.
        partial = parts.pop()!.slice(0, this.#maxLogChars);
        for (const line of parts) add(line);
      });
      stream.on('end', () => {
        if (partial) add(partial);
      });
    };
    if (language === 'python') lines(child.stdout!, 'log');
    lines(child.stderr!, language === 'python' ? 'error' : 'log', stderrTail);

    const done = new Promise<ScriptOutcome>((resolve) => {
      const finish = (outcome: (durationMs: number, logs: LogEntry[]) => ScriptOutcome) => {
        clearTimeout(timer);
        resolve(outcome(performance.now() - started, logs.entries()));
      };
      child.on('error', (error) => {
        // Only a failed spawn never closes; a failed kill is followed by the close anyway.
        if (child.pid === undefined) finish((durationMs) => ({ ok: false, error: { class: 'SandboxCrashed', message: `could not start the sandbox: ${error.message}` }, logs: [], durationMs }));
      });
      child.on('close', (code, signal) =>
        finish((durationMs, entries) => {
          const fail = (error: ScriptError): ScriptOutcome => ({ ok: false, error, logs: entries, durationMs });
          if (verdict) return fail(verdict);
          if (signal) return fail({ class: 'SandboxCrashed', message: `the sandbox was killed by ${signal}` });
          const answered = Buffer.concat(answer).toString('utf8');
          const tail = stderrTail.join('\n').trim();
          const last = stderrTail.findLast((line) => line.trim() !== '')?.trim() ?? '';
          const exitCode = code ?? 1;
          const memory: ScriptError = { class: 'SandboxMemoryLimit', message: `script exceeded its memory limit of ${formatBytes(o.limits.memoryBytes)}` };
          const exited = (message: string): ScriptError => ({ class: 'ScriptError', name: 'Exit', message, exitCode, ...(tail ? { stack: tail } : {}) });
          if (language === 'python') {
            const result = parseAnswer(answered);
            if (result?.ok) return { ok: true, output: result.output ?? null, logs: entries, durationMs };
            if (result?.error) return fail(result.error.name === 'MemoryError' ? memory : result.error);
            if (MEMORY_MESSAGES.test(last)) return fail(memory);
            return fail(exited(`the script exited with code ${exitCode} before returning`));
          }
          if (exitCode !== 0) {
            if (MEMORY_MESSAGES.test(last)) return fail(memory);
            return fail(exited(`the script exited with code ${exitCode}${last ? `: ${last}` : ''}`));
          }
          return { ok: true, output: parseOutput(answered), logs: entries, durationMs };
        }),
      );
    });
    const kill = () => stop({ class: 'SandboxCrashed', message: 'the sandbox closed while the script ran' });
    this.#running.set(child, { kill, done: done.then(() => undefined) });
    return done.finally(() => this.#running.delete(child));
  }
}

function parseAnswer(text: string): { ok: boolean; output?: unknown; error?: ScriptError } | undefined {
  try {
    return text ? (JSON.parse(text) as { ok: boolean; output?: unknown; error?: ScriptError }) : undefined;
  } catch {
    return undefined;
  }
}

/** A shell script's stdout: JSON when it parses, else the trimmed text. */
function parseOutput(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}

/**
 * A script's log lines, capped like the JavaScript sandbox's console. Lines arrive as the
 * script writes them (python runs unbuffered), and each kept one goes to `onLog` at once: they
 * come through pipes of this process, so there is no IPC to flood, and the caps bound the calls.
 */
class LogCollector {
  readonly #entries: LogEntry[] = [];
  #chars = 0;
  #truncated?: LogEntry;
  constructor(
    readonly maxEntries: number,
    readonly maxChars: number,
    readonly onLog?: (entry: LogEntry) => void,
  ) {}

  add(level: LogEntry['level'], line: string): void {
    if (this.#truncated) return;
    const message = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (this.#entries.length >= this.maxEntries || this.#chars + message.length > this.maxChars) {
      const room = this.maxChars - this.#chars;
      if (this.#entries.length < this.maxEntries && room > 0) this.#keep({ level, message: message.slice(0, room), at: new Date().toISOString() });
      this.#truncated = { level: 'warn', message: `log output truncated: at most ${this.maxEntries} lines and ${this.maxChars} characters are kept`, at: new Date().toISOString() };
      this.#tell(this.#truncated);
      return;
    }
    this.#chars += message.length;
    this.#keep({ level, message, at: new Date().toISOString() });
  }

  #keep(entry: LogEntry): void {
    this.#entries.push(entry);
    this.#tell(entry);
  }

  #tell(entry: LogEntry): void {
    if (!this.onLog) return;
    try {
      this.onLog(entry);
    } catch {
      // Live display is best effort: the outcome still carries every entry.
    }
  }

  entries(): LogEntry[] {
    return this.#truncated ? [...this.#entries, this.#truncated] : this.#entries;
  }
}

/** bwrap's arguments up to the command: namespaces, mounts, environment. */
async function sandboxArgs(tools: SubprocessTools, o: { tmpBytes: number; env: Record<string, string>; files: { fd: number; dest: string }[]; runner?: boolean }): Promise<string[]> {
  const args = ['--unshare-all', '--unshare-user', '--disable-userns', '--uid', SANDBOX_UID, '--gid', SANDBOX_UID, '--cap-drop', 'ALL'];
  args.push('--die-with-parent', '--new-session', '--clearenv');
  args.push('--ro-bind', '/usr', '/usr');
  for (const dir of SYSTEM_DIRS) {
    const stat = await lstat(dir).catch(() => undefined);
    if (stat?.isSymbolicLink()) args.push('--symlink', await readlink(dir), dir);
    else if (stat?.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  for (const file of SYSTEM_FILES) args.push('--ro-bind-try', file, file);
  for (const dir of tools.python?.binds ?? []) args.push('--ro-bind', dir, dir);
  args.push('--proc', '/proc', '--dev', '/dev');
  args.push('--size', String(Math.max(MiB, Math.floor(o.tmpBytes))), '--tmpfs', '/tmp', '--chdir', '/tmp');
  if (o.runner) args.push('--ro-bind', RUNNER, `${SANDBOX_DIR}/runner.py`);
  for (const file of o.files) args.push('--ro-bind-data', String(file.fd), file.dest);
  for (const [name, value] of Object.entries(o.env)) args.push('--setenv', name, value);
  // Last: nothing outside /tmp (and /dev, /proc) can be written, not even new mount points.
  args.push('--remount-ro', '/');
  return args;
}

async function which(name: string): Promise<string | undefined> {
  if (name.includes('/')) return (await isExecutable(name)) ? path.resolve(name) : undefined;
  try {
    const { stdout } = await run('/bin/sh', ['-c', 'command -v "$1"', 'which', name], { timeout: 5000 });
    const found = stdout.trim();
    return found.startsWith('/') ? found : undefined;
  } catch {
    return undefined;
  }
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

function safeFilename(filename: string | undefined, fallback: string): string {
  return filename && /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}$/.test(filename) ? filename : fallback;
}

/** Bound into every sandbox already: /usr and the /bin, /lib... directories. */
function isSystemPath(file: string): boolean {
  return ['/usr', ...SYSTEM_DIRS].some((dir) => isUnder(file, dir));
}

function isUnder(file: string, dir: string): boolean {
  return file === dir || file.startsWith(`${dir}/`);
}

function dropNested(dirs: string[]): string[] {
  return dirs.filter((dir) => !dirs.some((other) => other !== dir && isUnder(dir, other)));
}

function formatBytes(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`;
}

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  const text = (e.stderr?.trim() || e.message || String(error)).trim();
  return text.split('\n')[0]!;
}
