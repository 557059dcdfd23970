import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, runToEnd } from '../support/http.ts';

/**
 * python and shell script nodes end to end, through a real data plane whose operator allows
 * them (SCRIPT_LANGUAGES): each runs as a subprocess under bubblewrap, its output feeding the
 * next node, its logs and errors recorded like a JavaScript node's.
 */
let cp: TestControlPlane;
let dp: TestDataPlane;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  cp = await startTestControlPlane();
  const token = await cp.dataPlane('dp_languages');
  const tenant = await cp.tenant('languages', 'dp_languages');
  api = apiClient(cp.url, tenant.apiKey);
  dp = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: token, env: { SCRIPT_TIMEOUT_MS: '5000', SCRIPT_LANGUAGES: 'javascript,typescript,python,shell' } });
  await dp.start();
}, 60_000);

afterAll(async () => {
  await dp?.dispose();
  await cp?.stop();
});

const run = (document: Record<string, unknown>, input: unknown) => runToEnd(api, document, input);

const PYTHON_SCORE = `
import math

def main(lead, ctx):
    print(f"scoring {lead['company']} (attempt {ctx['attempt']})")
    score = min(100, round(10 * math.log10(lead["employees"] + 1) * 3))
    return {**lead, "score": score}
`;

const SHELL_TAG = `
lead=$(cat)
score=$(printf '%s' "$lead" | grep -o '"score": *[0-9]*' | grep -o '[0-9]*$')
echo "score is $score" >&2
if [ "$score" -ge 50 ]; then tier=hot; else tier=cold; fi
node=$(printf '%s' "$ORVANTA_CTX" | grep -o '"id":"[a-z]*"' | head -1 | cut -d'"' -f4)
printf '{"tier": "%s", "score": %s, "node": "%s"}\\n' "$tier" "$score" "$node"
`;

describe('python and shell nodes', () => {
  it('runs a python node, then a shell node on its output', async () => {
    const { run: r, data } = await run(
      {
        name: 'lead-scoring',
        nodes: [
          { id: 'score', type: 'script', language: 'python', code: PYTHON_SCORE },
          { id: 'tag', type: 'script', language: 'shell', code: SHELL_TAG },
        ],
        edges: [{ from: 'score', to: 'tag' }],
      },
      { company: 'Acme', employees: 1200 },
    );
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    expect(data.output).toEqual({ tier: 'hot', score: 92, node: 'tag' });
    const byId = Object.fromEntries(data.nodes.map((n: { nodeId: string }) => [n.nodeId, n]));
    expect(byId.score.output).toEqual({ company: 'Acme', employees: 1200, score: 92 });
    expect(byId.score.logs).toMatchObject([{ level: 'log', message: 'scoring Acme (attempt 1)' }]);
    expect(byId.tag.logs).toMatchObject([{ level: 'log', message: 'score is 92' }]);
  });

  it('fails the run with the python traceback once its retries are used up', async () => {
    const code = 'def main(lead, ctx):\n    return lead["missing"]\n';
    const { run: r, data } = await run({ name: 'lead-broken', nodes: [{ id: 'broken', type: 'script', language: 'python', code, retry: { attempts: 3, delayMs: 10 } }] }, { company: 'Acme' });
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ class: 'ScriptError', nodeId: 'broken' });
    const [node] = data.nodes;
    expect(node.error).toMatchObject({ class: 'ScriptError', name: 'KeyError', message: "'missing'" });
    expect(node.error.stack).toContain('File "broken.py", line 2, in main');
    // A ScriptError is retried: the three attempts all ran in the sandbox.
    expect(node.attempts).toBe(3);
  });
});
