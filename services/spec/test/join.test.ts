import { describe, expect, it } from 'vitest';
import { joinSource, outgoingEdges, parseWorkflowSource, predecessors, validateWorkflowDocument, type SpecIssue, type WorkflowDocument } from '../src/index.ts';
import { script } from './fixtures.ts';

const split = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'split', items: 'xs', ...extra });
const join = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'join', ...extra });
const chain = (...ids: string[]) => ids.slice(1).map((to, i) => ({ from: ids[i]!, to }));

function valid(nodes: unknown[], edges: unknown[]): WorkflowDocument {
  const result = validateWorkflowDocument({ name: 'w', nodes, edges });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.document;
}

function issuesOf(nodes: unknown[], edges: unknown[]): SpecIssue[] {
  const result = validateWorkflowDocument({ name: 'w', nodes, edges });
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
}

describe('join.from', () => {
  it('may name a split upstream, directly or further back', () => {
    valid([split('s'), script('a'), join('j', { from: 's' })], chain('s', 'a', 'j'));
    valid([split('outer'), split('inner'), script('a'), join('j1', { from: 'inner' }), join('j2', { from: 'outer' })], chain('outer', 'inner', 'a', 'j1', 'j2'));
  });

  it('must name an existing node', () => {
    expect(issuesOf([split('s'), join('j', { from: 'ghost' })], chain('s', 'j'))).toEqual([{ path: 'nodes[1].from', pointer: '/nodes/1/from', message: 'no node has id "ghost"' }]);
  });

  it('must name a split node', () => {
    expect(issuesOf([split('s'), script('a'), join('j', { from: 'a' })], chain('s', 'a', 'j'))).toEqual([
      { path: 'nodes[2].from', pointer: '/nodes/2/from', message: 'from must name the split node whose items this join collects; "a" is a script node' },
    ]);
    expect(issuesOf([split('s'), join('j', { from: 'j' })], chain('s', 'j'))[0]!.message).toBe('from must name the split node whose items this join collects; "j" is a join node');
  });

  it('must name a split upstream of the join', () => {
    // `t` is a split, but on another branch; `down` is downstream of the join.
    const nodes = [split('s'), split('t'), join('j', { from: 't' }), split('down'), join('k', { from: 'down' })];
    expect(issuesOf(nodes, [{ from: 's', to: 'j' }, { from: 'j', to: 'down' }, { from: 'k', to: 'down' }])).toEqual([
      { path: 'nodes[2].from', pointer: '/nodes/2/from', message: 'split "t" is not upstream of this join: no path of edges leads from it to "j"' },
      { path: 'nodes[4].from', pointer: '/nodes/4/from', message: 'split "down" is not upstream of this join: no path of edges leads from it to "k"' },
    ]);
  });

  it('is reported with the other graph issues, at its line in YAML', () => {
    const text = 'name: w\nnodes:\n  - { id: s, type: split, items: xs }\n  - id: j\n    type: join\n    from: s\n  - { id: a, type: script, language: javascript, code: x }\n';
    const result = parseWorkflowSource(text, 'yaml');
    expect(!result.ok && result.issues).toEqual([
      { path: 'nodes[1].from', pointer: '/nodes/1/from', message: 'split "s" is not upstream of this join: no path of edges leads from it to "j"', line: 6, column: 11 },
    ]);
  });

  it('a split without a join is fine', () => {
    valid([split('s'), script('a')], chain('s', 'a'));
  });
});

describe('joinSource', () => {
  it('returns an explicit from', () => {
    const doc = valid([split('outer'), split('inner'), join('j', { from: 'outer' })], chain('outer', 'inner', 'j'));
    expect(joinSource(doc, 'j')).toBe('outer');
  });

  it('defaults to the nearest split upstream', () => {
    const doc = valid([split('s'), script('a'), script('b'), join('j')], chain('s', 'a', 'b', 'j'));
    expect(joinSource(doc, 'j')).toBe('s');
  });

  it('pairs nested splits and joins like brackets', () => {
    const doc = valid([split('outer'), split('inner'), script('work'), join('j1'), script('mid'), join('j2')], chain('outer', 'inner', 'work', 'j1', 'mid', 'j2'));
    expect(joinSource(doc, 'j1')).toBe('inner');
    expect(joinSource(doc, 'j2')).toBe('outer');
  });

  it('is null when no open split is upstream: the join waits for its predecessors', () => {
    const fanIn = valid([script('start'), script('l'), script('r'), join('both')], [...chain('start', 'l', 'both'), ...chain('start', 'r', 'both')]);
    expect(joinSource(fanIn, 'both')).toBeNull();
    expect(predecessors(fanIn, 'both')).toEqual(['l', 'r']);
    // The only split upstream is already closed by j1.
    const closed = valid([split('s'), join('j1'), join('j2')], chain('s', 'j1', 'j2'));
    expect(joinSource(closed, 'j1')).toBe('s');
    expect(joinSource(closed, 'j2')).toBeNull();
  });

  it('prefers the split with the fewest edges back', () => {
    const doc = valid([split('far'), script('a'), script('b'), split('near'), join('j')], [...chain('far', 'a', 'b', 'j'), ...chain('near', 'j')]);
    expect(joinSource(doc, 'j')).toBe('near');
  });

  it('throws for unknown ids and for nodes that are not joins', () => {
    const doc = valid([split('s'), join('j')], chain('s', 'j'));
    expect(() => joinSource(doc, 'zz')).toThrow(/no node "zz"/);
    expect(() => joinSource(doc, 's')).toThrow('node "s" of workflow "w" is a split node, not a join');
  });
});

describe('outgoingEdges', () => {
  it('lists the edges leaving a node, in edge order, with their conditions', () => {
    const doc = valid(
      [script('a'), script('big'), script('small'), script('log')],
      [{ from: 'a', to: 'big', when: 'n >= 100' }, { from: 'big', to: 'log' }, { from: 'a', to: 'small', when: 'n < 100' }, { from: 'a', to: 'log' }],
    );
    expect(outgoingEdges(doc, 'a')).toEqual([{ from: 'a', to: 'big', when: 'n >= 100' }, { from: 'a', to: 'small', when: 'n < 100' }, { from: 'a', to: 'log' }]);
    expect(outgoingEdges(doc, 'log')).toEqual([]);
    expect(() => outgoingEdges(doc, 'zz')).toThrow(/no node "zz"/);
  });
});
