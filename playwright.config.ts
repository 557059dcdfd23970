import { defineConfig } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * End-to-end tests: the real console in Chromium against the whole platform started with
 * `npm start` on dedicated ports, with fresh databases, a fresh Redis prefix and a fresh
 * ORVANTA_HOME so nothing leaks between runs or into a developer's own `.orvanta`.
 *
 * The runner evaluates this file first and its workers inherit its environment, so the
 * unique names chosen here are the same everywhere (the worker keeps the runner's values).
 */
const PORT = Number(process.env.E2E_PORT ?? 3105);
const DATAPLANE_PORT = Number(process.env.E2E_DATAPLANE_PORT ?? 3205);

if (!process.env.E2E_RUN_ID) {
  process.env.E2E_RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  process.env.E2E_OWNER_PID = String(process.pid);
  process.env.ORVANTA_HOME = mkdtempSync(path.join(os.tmpdir(), 'orvanta-e2e-'));
}
const runId = process.env.E2E_RUN_ID;
const home = process.env.ORVANTA_HOME!;


/** A database on the test server named for this run (the start script creates it). */
function databaseUrl(server: string, plane: string): string {
  const url = new URL(server);
  url.pathname = `/orvanta_e2e_${runId}_${plane}`;
  return url.toString();
}

const serverEnv: Record<string, string> = {
  PORT: String(PORT),
  DATAPLANE_PORT: String(DATAPLANE_PORT),
  ORVANTA_HOME: home,
  NEXT_TELEMETRY_DISABLED: '1',
};
if (process.env.TEST_DATABASE_URL) {
  serverEnv.DATABASE_URL = databaseUrl(process.env.TEST_DATABASE_URL, 'control');
  serverEnv.DATAPLANE_DATABASE_URL = databaseUrl(process.env.TEST_DATABASE_URL, 'dataplane');
}
if (process.env.TEST_REDIS_URL) {
  serverEnv.REDIS_URL = process.env.TEST_REDIS_URL;
  serverEnv.REDIS_PREFIX = `orvanta-e2e-${runId}`;
}

// When the runner exits (after it has stopped the web server) it drops what this run
// created: ORVANTA_HOME, the databases and the Redis keys. E2E_KEEP=1 keeps them for a post-mortem.
const DROP_RUN_STATE = `
import pg from 'pg';
import { Redis } from 'ioredis';
const { databases, redisUrl, redisPrefix } = JSON.parse(process.argv[1]);
for (const url of databases) {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  await client.query('DROP DATABASE IF EXISTS "' + name.replaceAll('"', '""') + '" WITH (FORCE)');
  await client.end();
}
if (redisUrl) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', redisPrefix + ':*', 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}
`;
if (process.env.E2E_OWNER_PID === String(process.pid) && !process.env.E2E_KEEP) {
  process.once('exit', () => {
    rmSync(home, { recursive: true, force: true });
    const state = {
      // npm start's second region (us-local) keeps its data plane in a sibling database.
      databases: [serverEnv.DATABASE_URL, serverEnv.DATAPLANE_DATABASE_URL, serverEnv.DATAPLANE_DATABASE_URL && `${serverEnv.DATAPLANE_DATABASE_URL}_us_local`].filter(Boolean),
      redisUrl: serverEnv.REDIS_URL,
      redisPrefix: serverEnv.REDIS_PREFIX,
    };
    if (!state.databases.length && !state.redisUrl) return;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', DROP_RUN_STATE, JSON.stringify(state)], { cwd: import.meta.dirname, encoding: 'utf8', timeout: 30_000 });
    if (result.status !== 0) console.error(`e2e cleanup failed: ${result.stderr || result.error}`);
  });
}

const debianChromium = '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    browserName: 'chromium',
    launchOptions: {
      ...(existsSync(debianChromium) ? { executablePath: debianChromium } : {}),
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  webServer: {
    command: 'npm start',
    env: serverEnv,
    // Printed once the console and the data plane are both ready and demo.json is written.
    wait: { stdout: /^Console: http/m },
    // The first start may build the console.
    timeout: 240_000,
    // In CI the platform's logs go with the test output, to explain a failure.
    stdout: process.env.CI || process.env.E2E_SERVER_LOGS ? 'pipe' : 'ignore',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
  },
});
