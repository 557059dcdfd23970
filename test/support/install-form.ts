import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDatabase, createTestRedis } from '@orvanta/devstack/testing';

const root = path.resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * `npm` and `npx` for running an install form inside this checkout. The form's installation
 * steps (`npm ci …`, `npx prisma generate …`) are already done here — and `npm ci` would
 * replace the node_modules every other test file runs on — so those two are skipped and
 * logged; every other use goes to the real tools. The command itself runs unchanged.
 */
function installedCheckoutTools(): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orvanta-install-form-'));
  const real = (tool: string) => execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  const write = (name: string, skip: string, realPath: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\nif ${skip}; then echo "[test checkout already installed] skipped: ${name} $*" >&2; exit 0; fi\nexec ${JSON.stringify(realPath)} "$@"\n`);
    chmodSync(file, 0o755);
  };
  write('npm', '[ "$1" = ci ] || [ "$1" = install ]', real('npm'));
  write('npx', 'case " $* " in *" prisma@"*" generate "*) true ;; *) false ;; esac', real('npx'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface InstalledDataPlane {
  url: string;
  databaseUrl: string;
  redis: { url: string; prefix: string };
  logs: string[];
  readonly running: boolean;
  /** SIGTERM to the whole process group, and wait. */
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Runs an install form with `bash -c` in the checkout, as its own process group, with the
 * environment given (and the checkout's installation steps skipped, see above).
 */
export function runInstallForm(command: string, env: NodeJS.ProcessEnv): { child: ChildProcess; logs: string[]; exited: Promise<number | null> } {
  const tools = installedCheckoutTools();
  const child = spawn('bash', ['-c', command], { cwd: root, env: { ...env, PATH: `${tools.dir}${path.delimiter}${env.PATH ?? ''}` }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const logs: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => logs.push(line));
  // 'close', not 'exit': only then has everything it wrote been read (a test reads its last lines).
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  void exited.then(tools.dispose);
  return { child, logs, exited };
}

/**
 * Starts an on-prem data plane from the single-host install form (`install.node` of
 * POST /api/v1/data-planes), run as given with `bash -c`, with this data plane's own test
 * database and Redis prefix in its environment — as an operator would export them.
 */
export async function startFromInstallForm(command: string, options: { publicUrl: string; env?: Record<string, string> }): Promise<InstalledDataPlane> {
  const database = await createTestDatabase('dataplane');
  const redis = await createTestRedis();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    ...(database.poolMax ? { DATABASE_POOL_MAX: String(database.poolMax) } : {}),
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    HOST: '127.0.0.1',
    ...options.env,
  };
  const { child, logs, exited } = runInstallForm(command, env);
  let done = false;
  void exited.then(() => (done = true));
  const signal = async (sig: NodeJS.Signals) => {
    if (done) return;
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
    await exited;
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    const failure = done ? 'the install form exited' : Date.now() > deadline ? 'the data plane from the install form is not ready' : null;
    if (failure) {
      await signal('SIGKILL');
      await redis.stop();
      await database.drop();
      throw new Error(`${failure}:\n${logs.slice(-30).join('\n')}`);
    }
    if (await fetch(`${options.publicUrl}/healthz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    url: options.publicUrl,
    databaseUrl: database.url,
    redis: { url: redis.url, prefix: redis.prefix },
    logs,
    get running() {
      return !done;
    },
    stop: () => signal('SIGTERM'),
    async dispose() {
      await signal('SIGKILL');
      await redis.stop();
      await database.drop();
    },
  };
}
