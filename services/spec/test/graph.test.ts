import { describe, expect, it } from 'vitest';
import { entryNodes, getNode, predecessors, sinkNodes, successors, validateWorkflowDocument, type WorkflowDocument } from '../src/index.ts';
import { script } from './fixtures.ts';

function valid(value: unknown): WorkflowDocument {
  const result = validateWorkflowDocument(value);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.document;
}

// c is declared first to show that results follow document order, not topological order.
const diamond = valid({
  name: 'diamond',
  nodes: ['c', 'a', 'b', 'd', 'lonely'].map((id) => script(id)),
  edges: [
    { from: 'a', to: 'c' },
    { from: 'a', to: 'b' },
    { from: 'b', to: 'd' },
    { from: 'c', to: 'd' },
  ],
});

describe('graph helpers', () => {
  it('finds entry and sink nodes in document order', () => {
    expect(entryNodes(diamond)).toEqual(['a', 'lonely']);
    expect(sinkNodes(diamond)).toEqual(['d', 'lonely']);
  });

  it('follows edges both ways in edge order', () => {
    expect(successors(diamond, 'a')).toEqual(['c', 'b']);
    expect(successors(diamond, 'd')).toEqual([]);
    expect(predecessors(diamond, 'd')).toEqual(['b', 'c']);
    expect(predecessors(diamond, 'a')).toEqual([]);
  });

  it('gets nodes and throws on unknown ids', () => {
    expect(getNode(diamond, 'b')).toEqual(script('b'));
    expect(() => getNode(diamond, 'zz')).toThrow('workflow "diamond" has no node "zz"');
    expect(() => successors(diamond, 'zz')).toThrow(/no node "zz"/);
    expect(() => predecessors(diamond, 'zz')).toThrow(/no node "zz"/);
  });
});
