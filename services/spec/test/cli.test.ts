import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJson, helloYaml } from './fixtures.ts';

const BIN = fileURLToPath(new URL('../bin/orvanta.mjs', import.meta.url));
const ORDER_PIPELINE = fileURLToPath(new URL('../../../examples/order-pipeline.yaml', import.meta.url));

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs the real command line, from a temporary folder (not the repository) as working directory. */
function orvanta(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('orvanta validate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'orvanta-cli-'));
    await writeFile(join(dir, 'hello.yaml'), helloYaml);
    await writeFile(join(dir, 'hello.json'), helloJson);
    await writeFile(join(dir, 'bad.yml'), ['name: bad', 'nodes:', '  - id: each', '    type: split', '    items: "lines["', '  - { id: wait, type: delay, durationMs: 0 }', 'edges:', '  - { from: each, to: gone }', ''].join('\n'));
    await writeFile(join(dir, 'broken.json'), '{ "name": "x", }');
    await writeFile(join(dir, 'workflow'), helloJson); // no extension: JSON by its first character
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints a summary and exits 0 for valid documents', async () => {
    expect(await orvanta(['validate', 'hello.yaml'], dir)).toEqual({ code: 0, stdout: 'hello.yaml: valid (2 nodes, 1 edges)\n', stderr: '' });
    expect(await orvanta(['validate', 'hello.json', 'workflow', ORDER_PIPELINE], dir)).toEqual({
      code: 0,
      stdout: `hello.json: valid (2 nodes, 1 edges)\nworkflow: valid (2 nodes, 1 edges)\n${ORDER_PIPELINE}: valid (5 nodes, 4 edges)\n`,
      stderr: '',
    });
  });

  it('prints one FILE:LINE:COLUMN line per issue and exits 1', async () => {
    expect(await orvanta(['validate', 'bad.yml'], dir)).toEqual({
      code: 1,
      stdout: [
        'bad.yml:5:12: nodes[0].items: JSONata syntax error: Expected "]" before end of expression (at position 6)',
        'bad.yml:6:42: nodes[1].durationMs: durationMs must be at least 1',
        'bad.yml:8:23: edges[0].to: no node has id "gone"',
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(await orvanta(['validate', 'broken.json'], dir)).toMatchObject({ code: 1, stdout: 'broken.json:1:14: JSON syntax error: trailing comma before "}"\n' });
  });

  it('exits 2 with a clear message for a file it cannot read', async () => {
    expect(await orvanta(['validate', 'missing.yaml'], dir)).toEqual({ code: 2, stdout: '', stderr: 'orvanta: cannot read missing.yaml: no such file\n' });
    expect(await orvanta(['validate', '.'], dir)).toMatchObject({ code: 2, stderr: 'orvanta: cannot read .: is a directory, not a file\n' });
    // The other files are still checked.
    expect(await orvanta(['validate', 'missing.yaml', 'hello.yaml'], dir)).toMatchObject({ code: 2, stdout: 'hello.yaml: valid (2 nodes, 1 edges)\n' });
  });

  it('explains its usage', async () => {
    const none = await orvanta([], dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^usage: orvanta validate FILE\.\.\./);
    expect(await orvanta(['lint', 'x.yaml'], dir)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^orvanta: unknown command "lint"\nusage:/) });
    expect(await orvanta(['validate'], dir)).toMatchObject({ code: 2 });
    expect(await orvanta(['--help'], dir)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage:/) });
  });
});
