import { describe, expect, it } from 'vitest';
import { MAX_SCRIPT_BYTES, validateWorkflowDocument, type SpecIssue } from '../src/index.ts';
import { helloDocument, script } from './fixtures.ts';

function issuesOf(value: unknown): SpecIssue[] {
  const result = validateWorkflowDocument(value);
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
}

const doc = (nodes: unknown[], edges?: unknown[]) => ({ name: 'x', nodes, ...(edges ? { edges } : {}) });
const edge = (from: string, to: string) => ({ from, to });

describe('validateWorkflowDocument', () => {
  it('accepts the hello document and fills defaults', () => {
    expect(validateWorkflowDocument(helloDocument)).toEqual({ ok: true, document: helloDocument });
    const result = validateWorkflowDocument(doc([script('a', { name: 'A', timeoutMs: 300_000 })]));
    expect(result.ok && result.document).toEqual({ name: 'x', nodes: [script('a', { name: 'A', timeoutMs: 300_000 })], edges: [] });
  });

  it('gives paths and pointers but no positions', () => {
    expect(issuesOf({ nodes: [script('a')], extra: 1 })).toEqual([
      { path: 'name', pointer: '/name', message: '"name" is required' },
      { path: 'extra', pointer: '/extra', message: 'unknown key "extra"' },
    ]);
  });

  it('quotes odd keys in paths and escapes pointers', () => {
    expect(issuesOf({ ...doc([script('a')]), 'a/b~c d': 1 })).toEqual([{ path: '["a/b~c d"]', pointer: '/a~1b~0c d', message: 'unknown key "a/b~c d"' }]);
  });

  it('rejects non-objects and empty node lists', () => {
    expect(issuesOf(null)).toEqual([{ path: '', pointer: '', message: 'Invalid input: expected object, received null' }]);
    expect(issuesOf(doc([]))).toEqual([{ path: 'nodes', pointer: '/nodes', message: 'a workflow needs at least one node' }]);
    expect(issuesOf(doc([42]))[0]).toMatchObject({ path: 'nodes[0]' });
  });

  it('checks name, id, code and timeout limits', () => {
    expect(validateWorkflowDocument({ ...doc([script('a')]), name: 'n'.repeat(100) }).ok).toBe(true);
    expect(issuesOf({ ...doc([script('a')]), name: 'n'.repeat(101) })[0]!.path).toBe('name');
    expect(validateWorkflowDocument(doc([script('_' + 'a'.repeat(63))])).ok).toBe(true);
    for (const id of ['a'.repeat(65), '1a', 'a b', '', 'a.b']) expect(issuesOf(doc([script(id)]))[0]!.path, id).toBe('nodes[0].id');
    expect(issuesOf(doc([script('a', { timeoutMs: 1.5 })]))[0]).toMatchObject({ path: 'nodes[0].timeoutMs' });
    expect(issuesOf(doc([script('a', { language: 'ruby' })]))[0]).toMatchObject({ path: 'nodes[0].language' });
  });

  it('limits code to 256 KiB of UTF-8, counted in bytes, reported once', () => {
    expect(validateWorkflowDocument(doc([script('a', { code: 'x'.repeat(MAX_SCRIPT_BYTES) })])).ok).toBe(true);
    const tooLong = issuesOf(doc([script('a', { code: 'x'.repeat(MAX_SCRIPT_BYTES + 1) })]));
    expect(tooLong).toEqual([{ path: 'nodes[0].code', pointer: '/nodes/0/code', message: 'code must be at most 256 KiB (UTF-8)' }]);
    // 100k characters but 300k bytes.
    expect(issuesOf(doc([script('a', { code: '€'.repeat(100_000) })]))).toEqual(tooLong);
    expect(validateWorkflowDocument(doc([script('a', { code: '😀'.repeat(MAX_SCRIPT_BYTES / 4) })])).ok).toBe(true);
  });

  it('reports duplicate edges and self loops', () => {
    expect(issuesOf(doc([script('a'), script('b')], [edge('a', 'b'), edge('a', 'b')]))).toEqual([
      { path: 'edges[1]', pointer: '/edges/1', message: 'duplicate edge a -> b (same as edges[0])' },
    ]);
    expect(issuesOf(doc([script('a')], [edge('a', 'a')]))).toEqual([{ path: 'edges[0]', pointer: '/edges/0', message: 'edges form a cycle: a -> a' }]);
  });

  it('reports dangling ends on both sides', () => {
    expect(issuesOf(doc([script('a')], [edge('x', 'y')]))).toEqual([
      { path: 'edges[0].from', pointer: '/edges/0/from', message: 'no node has id "x"' },
      { path: 'edges[0].to', pointer: '/edges/0/to', message: 'no node has id "y"' },
    ]);
  });

  it('reports one issue per edge that closes a cycle', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((id) => script(id));
    const issues = issuesOf(doc(nodes, [edge('a', 'b'), edge('b', 'a'), edge('b', 'c'), edge('c', 'd'), edge('d', 'b')]));
    expect(issues).toEqual([
      { path: 'edges[1]', pointer: '/edges/1', message: 'edges form a cycle: a -> b -> a' },
      { path: 'edges[4]', pointer: '/edges/4', message: 'edges form a cycle: b -> c -> d -> b' },
    ]);
  });

  it('accepts diamonds and long chains (no false cycles, no stack overflow)', () => {
    expect(validateWorkflowDocument(doc(['a', 'b', 'c', 'd'].map((id) => script(id)), [edge('a', 'b'), edge('a', 'c'), edge('b', 'd'), edge('c', 'd')])).ok).toBe(true);
    const ids = Array.from({ length: 20_000 }, (_, i) => `n${i}`);
    const chain = ids.slice(1).map((id, i) => edge(ids[i]!, id));
    expect(validateWorkflowDocument(doc(ids.map((id) => script(id)), chain)).ok).toBe(true);
    expect(issuesOf(doc(ids.map((id) => script(id)), [...chain, edge('n19999', 'n0')]))).toHaveLength(1);
  });
});
