import { describe, expect, it } from 'vitest';
import { MAX_DELAY_MS, nodeTypes, parseWorkflowSource, validateWorkflowDocument, type NodeSpec, type SpecIssue } from '../src/index.ts';
import { kindExamples, single } from './fixtures.ts';

function issuesOf(value: unknown): SpecIssue[] {
  const result = validateWorkflowDocument(value);
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
}

function yamlIssues(text: string): SpecIssue[] {
  const result = parseWorkflowSource(text, 'yaml');
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
}

/** The single issue of a one-node document built from the example of `kind` with `change` applied. */
function issueWith(kind: keyof typeof kindExamples, change: Record<string, unknown>): SpecIssue {
  const node: Record<string, unknown> = { ...kindExamples[kind], ...change };
  for (const [key, value] of Object.entries(change)) if (value === undefined) delete node[key];
  const issues = issuesOf(single(node));
  expect(issues, JSON.stringify(issues)).toHaveLength(1);
  return issues[0]!;
}

const KINDS = 'script, http, transform, split, join, delay, subworkflow';

describe('node kinds', () => {
  it('knows every kind, in declaration order', () => {
    expect(nodeTypes).toEqual(['script', 'http', 'transform', 'split', 'join', 'delay', 'subworkflow']);
    expect(Object.keys(kindExamples)).toEqual(nodeTypes);
  });

  it.each(Object.entries(kindExamples))('accepts a valid %s node', (_kind, node) => {
    const result = validateWorkflowDocument(single(node));
    expect(result.ok, JSON.stringify(!result.ok && result.issues)).toBe(true);
  });

  it('fills in only the documented defaults', () => {
    const result = validateWorkflowDocument({ name: 'x', nodes: Object.values(kindExamples) });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const byId = new Map<string, NodeSpec>(result.document.nodes.map((n) => [n.id, n]));
    for (const node of Object.values(kindExamples)) {
      if (node.type !== 'http') expect(byId.get(node.id)).toEqual(node);
    }
    const get = validateWorkflowDocument(single({ id: 'g', type: 'http', application: 'a', request: { url: 'https://example.com' } }));
    expect(get.ok && get.document.nodes[0]).toEqual({ id: 'g', type: 'http', application: 'a', request: { method: 'GET', url: 'https://example.com' } });
  });

  it('lists every kind for an unknown or missing type', () => {
    expect(issuesOf(single({ id: 'a', type: 'webhook' }))).toEqual([
      { path: 'nodes[0].type', pointer: '/nodes/0/type', message: `unknown node type "webhook"; expected one of: ${KINDS}` },
    ]);
    expect(issuesOf(single({ id: 'a' }))[0]!.message).toBe(`node type is required; expected one of: ${KINDS}`);
  });

  it('rejects fields of another kind', () => {
    expect(issueWith('delay', { items: 'xs' })).toEqual({ path: 'nodes[0].items', pointer: '/nodes/0/items', message: 'unknown key "items"' });
    expect(issueWith('join', { code: 'x' }).path).toBe('nodes[0].code');
  });
});

describe('common fields', () => {
  it.each(Object.keys(kindExamples) as (keyof typeof kindExamples)[])('%s nodes take retry, timeoutMs and concurrency', (kind) => {
    const node = { ...kindExamples[kind], retry: { attempts: 2 }, timeoutMs: 3_600_000, concurrency: 1000 };
    expect(validateWorkflowDocument(single(node)).ok).toBe(true);
  });

  it('limits timeoutMs to 1..3600000 for every kind, scripts included', () => {
    expect(issueWith('script', { timeoutMs: 3_600_001 })).toMatchObject({ path: 'nodes[0].timeoutMs', message: 'timeoutMs must be at most 3600000' });
    expect(issueWith('http', { timeoutMs: 0 })).toMatchObject({ path: 'nodes[0].timeoutMs', message: 'timeoutMs must be at least 1' });
    expect(issueWith('transform', { timeoutMs: 1.5 })).toMatchObject({ path: 'nodes[0].timeoutMs', message: 'timeoutMs must be an integer number of milliseconds' });
    expect(validateWorkflowDocument(single({ ...kindExamples.script, timeoutMs: 1 })).ok).toBe(true);
  });

  it('limits concurrency to 1..1000', () => {
    expect(issueWith('http', { concurrency: 0 })).toMatchObject({ path: 'nodes[0].concurrency', message: 'concurrency must be at least 1' });
    expect(issueWith('split', { concurrency: 1001 })).toMatchObject({ path: 'nodes[0].concurrency', message: 'concurrency must be at most 1000' });
    expect(issueWith('split', { concurrency: '5' })).toMatchObject({ path: 'nodes[0].concurrency', message: 'concurrency must be an integer' });
  });
});

describe('script', () => {
  it('accepts javascript, typescript, python and shell only', () => {
    for (const language of ['javascript', 'typescript', 'python', 'shell']) expect(validateWorkflowDocument(single({ ...kindExamples.script, language })).ok).toBe(true);
    expect(issueWith('script', { language: 'ruby' })).toMatchObject({ path: 'nodes[0].language', message: 'language must be one of: javascript, typescript, python, shell' });
  });
});

describe('http', () => {
  it('checks the application name', () => {
    for (const application of ['crm', 'a', '0-api', 'my_app-2', 'a'.repeat(64)]) expect(validateWorkflowDocument(single({ ...kindExamples.http, application })).ok, application).toBe(true);
    expect(issueWith('http', { application: '' })).toMatchObject({ path: 'nodes[0].application', message: 'application must not be empty' });
    expect(issueWith('http', { application: 'a'.repeat(65) })).toMatchObject({ message: 'application must be at most 64 characters' });
    for (const application of ['CRM', '-api', '_api', 'my app', 'api.v2']) expect(issueWith('http', { application }).message, application).toMatch(/^application must start with a lowercase letter or digit/);
    expect(issueWith('http', { application: undefined })).toMatchObject({ path: 'nodes[0].application', message: '"application" is required' });
  });

  it('checks the request: method, url, headers, body', () => {
    const request = (r: Record<string, unknown>) => issueWith('http', { request: { url: 'https://example.com', ...r } });
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']) expect(validateWorkflowDocument(single({ ...kindExamples.http, request: { method, url: 'https://x.example' } })).ok).toBe(true);
    expect(request({ method: 'get' })).toMatchObject({ path: 'nodes[0].request.method', message: 'method must be one of: GET, POST, PUT, PATCH, DELETE, HEAD' });
    expect(request({ url: '' })).toMatchObject({ path: 'nodes[0].request.url', message: 'url must not be empty' });
    expect(request({ url: '/relative' })).toMatchObject({ path: 'nodes[0].request.url', message: 'url must be an absolute http or https URL' });
    expect(request({ url: 'file:///etc/passwd' })).toMatchObject({ path: 'nodes[0].request.url', message: 'url must use http or https, not file' });
    // With a template the URL is known only at run time (the data plane checks it then).
    expect(validateWorkflowDocument(single({ ...kindExamples.http, request: { url: '{{ input.callbackUrl }}' } })).ok).toBe(true);
    expect(request({ headers: { 'x-n': 5 } })).toMatchObject({ path: 'nodes[0].request.headers["x-n"]' });
    expect(request({ headers: { 'bad name': 'v' } })).toMatchObject({ path: 'nodes[0].request.headers["bad name"]', message: expect.stringMatching(/^header name must be an HTTP token/) });
    expect(request({ headers: ['a'] })).toMatchObject({ path: 'nodes[0].request.headers', message: 'headers must map header names to string values' });
    expect(request({ colour: 'red' })).toMatchObject({ path: 'nodes[0].request.colour', message: 'unknown key "colour"' });
    expect(issueWith('http', { request: undefined })).toMatchObject({ path: 'nodes[0].request', message: '"request" is required' });
    expect(issueWith('http', { request: { method: 'GET' } })).toMatchObject({ path: 'nodes[0].request.url', message: '"url" is required' });
  });

  it('takes any JSON body and reports what is not JSON at its own path', () => {
    for (const body of ['text {{ input.x }}', 42, false, null, [], [1, 'a', { b: [null] }]]) {
      expect(validateWorkflowDocument(single({ ...kindExamples.http, request: { method: 'POST', url: 'https://x.example', body } })).ok, JSON.stringify(body)).toBe(true);
    }
    const bad = (body: unknown) => issueWith('http', { request: { url: 'https://x.example', body } });
    expect(bad({ a: [1, Infinity] })).toEqual({ path: 'nodes[0].request.body.a[1]', pointer: '/nodes/0/request/body/a/1', message: 'body must be JSON; Infinity is not a JSON number' });
    expect(bad({ when: new Date(0) })).toMatchObject({ path: 'nodes[0].request.body.when', message: 'body must be JSON; a Date object is not a JSON value' });
    expect(bad([undefined])).toMatchObject({ path: 'nodes[0].request.body[0]', message: 'body must be JSON; undefined is not a JSON value' });
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(bad(loop)).toMatchObject({ path: 'nodes[0].request.body.self', message: 'body must be JSON; this value contains itself' });
    // The same object twice is fine: only a value inside itself is a loop.
    const shared = { a: 1 };
    expect(validateWorkflowDocument(single({ ...kindExamples.http, request: { url: 'https://x.example', body: [shared, shared] } })).ok).toBe(true);
  });

  it('walks deep bodies without overflowing the stack', () => {
    let body: unknown = '{{ input. }}';
    for (let i = 0; i < 50_000; i++) body = [body];
    const issue = issueWith('http', { request: { url: 'https://x.example', body } });
    expect(issue.path).toBe('nodes[0].request.body' + '[0]'.repeat(50_000));
  });
});

describe('transform and split', () => {
  it('need a non-blank expression', () => {
    expect(issueWith('transform', { expression: '' })).toMatchObject({ path: 'nodes[0].expression', message: 'expression must not be empty' });
    expect(issueWith('transform', { expression: ' \n ' })).toMatchObject({ path: 'nodes[0].expression', message: 'expression must not be empty' });
    expect(issueWith('transform', { expression: undefined })).toMatchObject({ path: 'nodes[0].expression', message: '"expression" is required' });
    expect(issueWith('split', { items: '' })).toMatchObject({ path: 'nodes[0].items', message: 'items must not be empty' });
    expect(issueWith('split', { items: ['a'] })).toMatchObject({ path: 'nodes[0].items', message: expect.stringMatching(/expected string/) });
  });
});

describe('delay', () => {
  it('limits durationMs to 1 ms .. 30 days', () => {
    expect(MAX_DELAY_MS).toBe(2_592_000_000);
    expect(validateWorkflowDocument(single({ ...kindExamples.delay, durationMs: MAX_DELAY_MS })).ok).toBe(true);
    expect(validateWorkflowDocument(single({ ...kindExamples.delay, durationMs: 1 })).ok).toBe(true);
    expect(issueWith('delay', { durationMs: MAX_DELAY_MS + 1 })).toMatchObject({ path: 'nodes[0].durationMs', message: 'durationMs must be at most 2592000000 (30 days)' });
    expect(issueWith('delay', { durationMs: 0 })).toMatchObject({ message: 'durationMs must be at least 1' });
    expect(issueWith('delay', { durationMs: 2.5 })).toMatchObject({ message: 'durationMs must be an integer number of milliseconds' });
    expect(issueWith('delay', { durationMs: undefined })).toMatchObject({ path: 'nodes[0].durationMs', message: '"durationMs" is required' });
  });
});

describe('subworkflow', () => {
  it('checks the workflow name and the environment', () => {
    expect(validateWorkflowDocument(single({ id: 'c', type: 'subworkflow', workflow: 'x' })).ok).toBe(true);
    expect(issueWith('subworkflow', { workflow: '' })).toMatchObject({ path: 'nodes[0].workflow', message: 'workflow must not be empty' });
    expect(issueWith('subworkflow', { workflow: 'w'.repeat(101) })).toMatchObject({ message: 'workflow must be at most 100 characters' });
    expect(issueWith('subworkflow', { environment: 'Prod' })).toMatchObject({ path: 'nodes[0].environment', message: expect.stringMatching(/^environment must start with a lowercase letter/) });
    expect(issueWith('subworkflow', { environment: '' })).toMatchObject({ message: 'environment must not be empty' });
  });
});

describe('edges', () => {
  it('take an optional `when`', () => {
    const doc = { name: 'x', nodes: [kindExamples.split, kindExamples.join], edges: [{ from: 'each', to: 'all', when: 'price > 0' }] };
    const result = validateWorkflowDocument(doc);
    expect(result.ok && result.document.edges).toEqual([{ from: 'each', to: 'all', when: 'price > 0' }]);
    expect(issuesOf({ ...doc, edges: [{ from: 'each', to: 'all', when: '' }] })).toEqual([{ path: 'edges[0].when', pointer: '/edges/0/when', message: 'when must not be empty' }]);
    expect(issuesOf({ ...doc, edges: [{ from: 'each', to: 'all', when: true }] })[0]).toMatchObject({ path: 'edges[0].when' });
  });
});

describe('kinds in YAML', () => {
  it('parses a document with every kind', () => {
    const text = `name: all kinds
nodes:
  - { id: calc, type: script, language: typescript, code: "export default (x: number) => x" }
  - id: call
    type: http
    application: crm
    request:
      method: PUT
      url: "https://api.example.com/{{ input.id }}"
      headers: { x-id: "{{ input.id }}" }
      body: { n: "{{ input.n }}", fixed: [1, 2] }
    retry: { attempts: 3, on: [HttpServerError] }
  - { id: shape, type: transform, expression: "$.n" }
  - { id: each, type: split, items: "$" }
  - { id: all, type: join, from: each }
  - { id: wait, type: delay, durationMs: 1000 }
  - { id: child, type: subworkflow, workflow: billing }
edges:
  - { from: calc, to: call }
  - { from: call, to: shape, when: "status = 200" }
  - { from: shape, to: each }
  - { from: each, to: all }
  - { from: all, to: wait }
  - { from: wait, to: child }
`;
    const result = parseWorkflowSource(text, 'yaml');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.document.nodes.map((n) => n.type)).toEqual(nodeTypes);
    expect(result.document.nodes[1]).toMatchObject({ retry: { attempts: 3, backoff: 'exponential', delayMs: 1000, maxDelayMs: 300000, on: ['HttpServerError'] } });
  });

  it('locates each bad field', () => {
    const text = [
      'name: x', //                           1
      'nodes:',
      '  - id: call', //                      3
      '    type: http',
      '    application: My App', //           5
      '    request:',
      '      method: FETCH', //               7
      '      url: ftp://example.com', //      8
      '      headers:',
      '        "a b": x', //                  10
      '    retry:',
      '      attempts: 21', //                12
      '      delayMs: 0', //                  13
      '    concurrency: 0', //                14
      '  - id: wait',
      '    type: delay',
      '    durationMs: -5', //                17
      '  - id: child',
      '    type: subworkflow', //             19: workflow missing
      '    environment: EU', //               20
      '    bogus: 1', //                      21
      '  - id: shape',
      '    type: transform',
      '    language: javascript', //          24: not a transform field
      '    expression: "  "', //              25
      '',
    ].join('\n');
    const at = (i: SpecIssue) => `${i.line}:${i.column} ${i.path}`;
    expect(yamlIssues(text).map(at)).toEqual([
      '12:17 nodes[0].retry.attempts',
      '13:16 nodes[0].retry.delayMs',
      '14:18 nodes[0].concurrency',
      '5:18 nodes[0].application',
      '7:15 nodes[0].request.method',
      '8:12 nodes[0].request.url',
      '10:9 nodes[0].request.headers["a b"]',
      '17:17 nodes[1].durationMs',
      '18:5 nodes[2].workflow',
      '20:18 nodes[2].environment',
      '21:5 nodes[2].bogus',
      '25:17 nodes[3].expression',
      '24:5 nodes[3].language',
    ]);
  });
});
