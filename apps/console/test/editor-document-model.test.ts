import { parseWorkflowSource } from '@orvanta/spec';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  applyEdit,
  convertFormat,
  issueTarget,
  NEW_WORKFLOW_YAML,
  newNode,
  readModel,
  sourceFromDocument,
  type FlowModel,
} from '../src/components/editor/document-model.ts';

const SOURCE = `# Orders: fetch, then double.
name: orders # the name people see
description: Doubles every order.
triggers:
  schedule: { cron: "0 * * * *" }
nodes:
  # Fetches the orders.
  - id: fetch
    type: http
    application: shop
    request:
      method: GET
      url: https://shop.example/orders
      headers: { x-trace: "{{ input.trace }}" }
    retry: { attempts: 3, on: [ HttpServerError ] } # kept as written
    mystery: 42
  - id: double
    type: transform
    expression: "$ * 2"
edges:
  - { from: fetch, to: double, when: "status = 200" } # only on success
`;

function model(text: string, format: 'yaml' | 'json' = 'yaml'): FlowModel {
  const read = readModel(text, format);
  if (!read.ok) throw new Error(read.error);
  return read.model;
}

describe('readModel', () => {
  it('reads nodes and edges, with `when` and every field of each node', () => {
    const m = model(SOURCE);
    expect(m.name).toBe('orders');
    expect(m.nodes.map((n) => [n.index, n.id, n.type])).toEqual([
      [0, 'fetch', 'http'],
      [1, 'double', 'transform'],
    ]);
    expect(m.nodes[0]!.spec.mystery).toBe(42);
    expect(m.edges).toEqual([{ index: 0, from: 'fetch', to: 'double', when: 'status = 200' }]);
  });

  it('reports a syntax error instead of a model', () => {
    const read = readModel('name: [oops\n', 'yaml');
    expect(read.ok).toBe(false);
    expect(readModel('{"name": ', 'json').ok).toBe(false);
  });

  it('skips malformed entries without losing the indexes of the others', () => {
    const m = model('name: x\nnodes:\n  - just a string\n  - { id: b, type: join }\nedges:\n  - { from: b }\n  - { from: b, to: c }\n');
    expect(m.nodes.map((n) => [n.index, n.id])).toEqual([[1, 'b']]);
    expect(m.edges.map((e) => e.index)).toEqual([1]);
  });
});

describe('applyEdit on YAML', () => {
  // The yaml printer normalises spacing inside flow collections (`[ a ]`, `{ a: 1 }`): the
  // source above is written that way, so nothing but the edited value may change.
  it('changes one field and leaves every other byte of the document alone', () => {
    const out = applyEdit(SOURCE, 'yaml', { op: 'setNodeField', index: 1, path: ['expression'], value: '$ * 3' });
    expect(out).toBe(SOURCE.replace('"$ * 2"', '"$ * 3"'));
  });

  it('keeps comments, unknown fields, triggers and edge conditions through a series of edits', () => {
    let text = SOURCE;
    text = applyEdit(text, 'yaml', { op: 'addNode', node: newNode(model(text), 'script') });
    text = applyEdit(text, 'yaml', { op: 'addEdge', from: 'double', to: 'script' });
    text = applyEdit(text, 'yaml', { op: 'setNodeField', index: 0, path: ['timeoutMs'], value: 5000 });
    text = applyEdit(text, 'yaml', { op: 'setWorkflowField', key: 'name', value: 'orders-v2' });
    for (const comment of ['# Orders: fetch, then double.', '# the name people see', '# Fetches the orders.', '# kept as written', '# only on success']) {
      expect(text).toContain(comment);
    }
    const value = parseYaml(text);
    expect(value.name).toBe('orders-v2');
    expect(value.triggers).toEqual({ schedule: { cron: '0 * * * *' } });
    expect(value.nodes[0].mystery).toBe(42);
    expect(value.nodes[0].retry).toEqual({ attempts: 3, on: ['HttpServerError'] });
    expect(value.nodes[0].timeoutMs).toBe(5000);
    expect(value.edges).toEqual([
      { from: 'fetch', to: 'double', when: 'status = 200' },
      { from: 'double', to: 'script' },
    ]);
    // The new edge takes the one-line style of the edges before it.
    expect(text).toContain('- { from: double, to: script }');
  });

  it('adds a node after the last one, in block style, with its kind fields', () => {
    const text = applyEdit(NEW_WORKFLOW_YAML, 'yaml', { op: 'addNode', node: newNode(model(NEW_WORKFLOW_YAML), 'script') });
    expect(text).toBe(`name: untitled
nodes:
  - id: script
    type: script
    language: javascript
    code: |
      export default (input, ctx) => input
edges: []
`);
    expect(parseWorkflowSource(text, 'yaml').ok).toBe(true);
  });

  it('picks a fresh id for each new node of a kind', () => {
    let text = NEW_WORKFLOW_YAML;
    for (let i = 0; i < 3; i++) text = applyEdit(text, 'yaml', { op: 'addNode', node: newNode(model(text), 'delay') });
    expect(model(text).nodes.map((n) => n.id)).toEqual(['delay', 'delay_2', 'delay_3']);
  });

  it('creates `edges` when the document has none, and ignores a duplicate or a self-loop', () => {
    const base = 'name: x\nnodes:\n  - { id: a, type: join }\n  - { id: b, type: join }\n';
    let text = applyEdit(base, 'yaml', { op: 'addEdge', from: 'a', to: 'b' });
    expect(parseYaml(text).edges).toEqual([{ from: 'a', to: 'b' }]);
    expect(applyEdit(text, 'yaml', { op: 'addEdge', from: 'a', to: 'b' })).toBe(text);
    expect(applyEdit(text, 'yaml', { op: 'addEdge', from: 'a', to: 'a' })).toBe(text);
    text = applyEdit(text, 'yaml', { op: 'addEdge', from: 'b', to: 'a' });
    expect(parseYaml(text).edges).toHaveLength(2);
  });

  it('removing a node removes the edges touching it, and nothing else', () => {
    const text = applyEdit(SOURCE, 'yaml', { op: 'remove', nodes: [1], edges: [] });
    const value = parseYaml(text);
    expect(value.nodes.map((n: { id: string }) => n.id)).toEqual(['fetch']);
    expect(value.edges).toEqual([]);
    expect(text).toContain('# Fetches the orders.');
    expect(text).toContain('mystery: 42');
  });

  it('removes edges by index, several at once', () => {
    const base = 'name: x\nnodes: [{ id: a, type: join }, { id: b, type: join }, { id: c, type: join }]\nedges:\n  - { from: a, to: b }\n  - { from: b, to: c }\n  - { from: a, to: c }\n';
    const value = parseYaml(applyEdit(base, 'yaml', { op: 'remove', nodes: [], edges: [0, 2] }));
    expect(value.edges).toEqual([{ from: 'b', to: 'c' }]);
  });

  it('sets, keeps and clears an edge condition', () => {
    let text = applyEdit(SOURCE, 'yaml', { op: 'setEdgeWhen', index: 0, when: 'status = 201' });
    expect(text).toContain('- { from: fetch, to: double, when: "status = 201" } # only on success');
    text = applyEdit(text, 'yaml', { op: 'setEdgeWhen', index: 0, when: undefined });
    expect(parseYaml(text).edges).toEqual([{ from: 'fetch', to: 'double' }]);
  });

  it('renaming a node renames it in edges and in a join `from`', () => {
    const base = `name: x
nodes:
  - { id: s, type: split, items: "$" }
  - { id: j, type: join, from: s }
edges:
  - { from: s, to: j }
`;
    const text = applyEdit(base, 'yaml', { op: 'renameNode', index: 0, id: 'each' });
    expect(parseYaml(text)).toEqual({
      name: 'x',
      nodes: [
        { id: 'each', type: 'split', items: '$' },
        { id: 'j', type: 'join', from: 'each' },
      ],
      edges: [{ from: 'each', to: 'j' }],
    });
    expect(parseWorkflowSource(text, 'yaml').ok).toBe(true);
  });

  it('puts a new field where the language orders it, and clears it with undefined', () => {
    const base = 'name: x\nnodes:\n  - id: a\n    type: script\n    code: "1"\n    timeoutMs: 10\n';
    let text = applyEdit(base, 'yaml', { op: 'setNodeField', index: 0, path: ['language'], value: 'typescript' });
    expect(text).toBe('name: x\nnodes:\n  - id: a\n    type: script\n    language: typescript\n    code: "1"\n    timeoutMs: 10\n');
    text = applyEdit(text, 'yaml', { op: 'setNodeField', index: 0, path: ['retry', 'attempts'], value: 3 });
    expect(parseYaml(text).nodes[0]).toEqual({ id: 'a', type: 'script', language: 'typescript', code: '1', retry: { attempts: 3 }, timeoutMs: 10 });
    text = applyEdit(text, 'yaml', { op: 'setNodeField', index: 0, path: ['retry'], value: undefined });
    expect(parseYaml(text).nodes[0].retry).toBeUndefined();
    text = applyEdit(text, 'yaml', { op: 'setWorkflowField', key: 'description', value: 'hi' });
    expect(text.startsWith('name: x\ndescription: hi\nnodes:')).toBe(true);
  });

  it('writes multi-line code as a block, and a whole value key by key', () => {
    let text = applyEdit(SOURCE, 'yaml', { op: 'setNodeField', index: 1, path: ['expression'], value: '(\n  $ * 2\n)' });
    expect(text).toContain('    expression: |-\n      (\n        $ * 2\n      )\n');
    text = applyEdit(text, 'yaml', { op: 'setNodeField', index: 0, path: ['request', 'headers'], value: { 'x-trace': '{{ input.trace }}', accept: 'application/json' } });
    expect(parseYaml(text).nodes[0].request.headers).toEqual({ 'x-trace': '{{ input.trace }}', accept: 'application/json' });
    expect(text).toContain('# kept as written');
  });

  it('refuses to edit a document that does not parse', () => {
    expect(() => applyEdit('name: [oops\n', 'yaml', { op: 'addEdge', from: 'a', to: 'b' })).toThrow(/does not parse/);
  });
});

describe('applyEdit on JSON', () => {
  it('re-prints JSON with the keys in their order, unknown ones kept', () => {
    const text = JSON.stringify({ name: 'j', nodes: [{ id: 'a', type: 'join', extra: { deep: [1, 2] } }], edges: [] }, null, 2);
    const out = applyEdit(text, 'json', { op: 'addNode', node: { id: 'b', type: 'join' } });
    const value = JSON.parse(out);
    expect(Object.keys(value)).toEqual(['name', 'nodes', 'edges']);
    expect(value.nodes).toEqual([
      { id: 'a', type: 'join', extra: { deep: [1, 2] } },
      { id: 'b', type: 'join' },
    ]);
    const linked = JSON.parse(applyEdit(out, 'json', { op: 'addEdge', from: 'a', to: 'b' }));
    expect(linked.edges).toEqual([{ from: 'a', to: 'b' }]);
  });
});

describe('sourceFromDocument and convertFormat', () => {
  it('prints a stored document (keys in database order) in the language order, edges one per line', () => {
    const stored = {
      edges: [{ to: 'b', from: 'a', when: 'ok' }],
      name: 'stored',
      nodes: [
        { id: 'a', code: 'x', type: 'script', language: 'javascript', retry: { on: ['X'], delayMs: 1000, attempts: 2, backoff: 'exponential', maxDelayMs: 300000 } },
        { id: 'b', type: 'http', request: { url: 'https://e.x/', body: { z: 1, a: 2 }, method: 'POST' }, application: 'app', zeta: true },
      ],
    };
    const text = sourceFromDocument(stored, 'yaml');
    expect(text).toBe(`name: stored
nodes:
  - id: a
    type: script
    language: javascript
    code: x
    retry:
      attempts: 2
      backoff: exponential
      delayMs: 1000
      maxDelayMs: 300000
      on:
        - X
  - id: b
    type: http
    application: app
    request:
      method: POST
      url: https://e.x/
      body:
        z: 1
        a: 2
    zeta: true
edges:
  - { from: a, to: b, when: ok }
`);
    expect(parseYaml(text)).toEqual(stored);
    expect(JSON.parse(sourceFromDocument(stored, 'json'))).toEqual(stored);
  });

  it('converts YAML to JSON and back without changing the value', () => {
    const json = convertFormat(SOURCE, 'yaml', 'json');
    expect(JSON.parse(json)).toEqual(parseYaml(SOURCE));
    expect(parseYaml(convertFormat(json, 'json', 'yaml'))).toEqual(parseYaml(SOURCE));
  });
});

describe('issueTarget', () => {
  it('maps issue paths to nodes and edges', () => {
    expect(issueTarget('nodes[2].request.url')).toEqual({ kind: 'node', index: 2, field: 'request.url' });
    expect(issueTarget('nodes[0]')).toEqual({ kind: 'node', index: 0, field: '' });
    expect(issueTarget('edges[1].when')).toEqual({ kind: 'edge', index: 1, field: 'when' });
    expect(issueTarget('nodes[0]["x-y"]')).toEqual({ kind: 'node', index: 0, field: '["x-y"]' });
    expect(issueTarget('name')).toBeNull();
    expect(issueTarget('')).toBeNull();
  });
});
