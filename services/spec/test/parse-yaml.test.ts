import { describe, expect, it } from 'vitest';
import { parseWorkflowSource, type SpecIssue } from '../src/index.ts';
import { helloDocument, helloYaml } from './fixtures.ts';

function issuesOf(text: string): SpecIssue[] {
  const result = parseWorkflowSource(text, 'yaml');
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
}

// `- id: <id>` block for a valid script node, 4 lines long.
const node = (id: string) => `  - id: ${id}\n    type: script\n    language: javascript\n    code: "export default (x) => x"\n`;

describe('parseWorkflowSource (yaml)', () => {
  it('accepts the hello document', () => {
    const result = parseWorkflowSource(helloYaml, 'yaml');
    expect(result).toEqual({ ok: true, document: helloDocument });
  });

  it('defaults edges to an empty list', () => {
    const result = parseWorkflowSource(`name: one\nnodes:\n${node('a')}`, 'yaml');
    expect(result.ok && result.document.edges).toEqual([]);
  });

  it('reports a missing name at the root object', () => {
    expect(issuesOf(`# a comment first\nnodes:\n${node('a')}`)).toEqual([
      { path: 'name', pointer: '/name', message: '"name" is required', line: 2, column: 1 },
    ]);
  });

  it('reports a missing node field at the node object', () => {
    const text = `name: x\nnodes:\n${node('a')}  - id: b\n    type: script\n    language: javascript\n`;
    expect(issuesOf(text)).toEqual([{ path: 'nodes[1].code', pointer: '/nodes/1/code', message: '"code" is required', line: 7, column: 5 }]);
  });

  it('reports an unknown node type with the known types', () => {
    const text = `name: x\nnodes:\n  - id: a\n    type: foo\n`;
    expect(issuesOf(text)).toEqual([
      { path: 'nodes[0].type', pointer: '/nodes/0/type', message: 'unknown node type "foo"; expected one of: script, http, transform, split, join, delay, subworkflow', line: 4, column: 11 },
    ]);
  });

  it('reports a missing node type', () => {
    expect(issuesOf(`name: x\nnodes:\n  - id: a\n`)).toEqual([
      { path: 'nodes[0].type', pointer: '/nodes/0/type', message: 'node type is required; expected one of: script, http, transform, split, join, delay, subworkflow', line: 3, column: 5 },
    ]);
  });

  it('reports a bad node id', () => {
    const [issue, ...rest] = issuesOf(`name: x\nnodes:\n${node('"1st"')}`);
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ path: 'nodes[0].id', pointer: '/nodes/0/id', line: 3, column: 9 });
    expect(issue!.message).toMatch(/^node id must start with a letter/);
  });

  it('reports a duplicate node id on the duplicate', () => {
    expect(issuesOf(`name: x\nnodes:\n${node('a')}${node('b')}${node('a')}`)).toEqual([
      { path: 'nodes[2].id', pointer: '/nodes/2/id', message: 'duplicate node id "a" (already used by nodes[0])', line: 11, column: 9 },
    ]);
  });

  it('reports a dangling edge end', () => {
    const text = `name: x\nnodes:\n${node('a')}edges:\n  - { from: a, to: ghost }\n`;
    expect(issuesOf(text)).toEqual([{ path: 'edges[0].to', pointer: '/edges/0/to', message: 'no node has id "ghost"', line: 8, column: 20 }]);
  });

  it('reports a cycle with its node ids at an edge of the cycle', () => {
    const text = `name: x\nnodes:\n${node('a')}${node('b')}${node('c')}edges:\n  - { from: a, to: b }\n  - { from: b, to: c }\n  - { from: c, to: a }\n`;
    expect(issuesOf(text)).toEqual([
      { path: 'edges[2]', pointer: '/edges/2', message: 'edges form a cycle: a -> b -> c -> a', line: 18, column: 5 },
    ]);
  });

  it('reports unknown keys by name, at the key', () => {
    const text = `name: x\nowner: me\nnodes:\n${node('a')}    retries: 3\n`;
    expect(issuesOf(text)).toEqual([
      { path: 'nodes[0].retries', pointer: '/nodes/0/retries', message: 'unknown key "retries"', line: 8, column: 5 },
      { path: 'owner', pointer: '/owner', message: 'unknown key "owner"', line: 2, column: 1 },
    ]);
  });

  it('reports a YAML syntax error with line and column', () => {
    expect(issuesOf(`name: x\nnodes:\n  - id: a\n    type: "script\n`)).toEqual([
      { path: '', pointer: '', message: 'YAML syntax error: Missing closing "quote', line: 5, column: 1 },
    ]);
    expect(issuesOf(`name: x\nname: y\nnodes: []\n`)).toEqual([
      { path: '', pointer: '', message: 'YAML syntax error: Map keys must be unique', line: 2, column: 1 },
    ]);
  });

  it('rejects several documents in one file and an empty file', () => {
    expect(issuesOf(`name: x\n---\nname: y\n`)[0]).toMatchObject({ path: '', line: 2, column: 1 });
    expect(issuesOf('# nothing\n')).toEqual([{ path: '', pointer: '', message: 'the document is empty; expected a workflow object', line: 1, column: 1 }]);
  });

  it('refuses alias bombs', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const [issue] = issuesOf(lines.join('\n') + '\n');
    expect(issue!.message).toMatch(/^YAML error: .*alias/i);
  });

  it('reports all issues at once', () => {
    const text = [
      'description: no name here', // 1: name missing -> root
      'colour: red', //               2: unknown key
      'nodes:',
      '  - id: a', //                 4
      '    type: script',
      '    language: javascript',
      '    code: ""', //              7: empty code
      '  - id: a', //                 8: duplicate id
      '    type: webhook', //         9: unknown type
      '  - id: b-1',
      '    type: script',
      '    language: javascript',
      '    code: x',
      '    timeoutMs: 9999999', //   14: too long
      'edges:',
      '  - { from: a, to: b-1 }', // 16
      '  - { from: b-1, to: a }', // 17: closes a cycle
      '  - { from: a, to: nope }', //18: dangling
      '  - { from: a, to: b-1 }', // 19: duplicate edge
      '',
    ].join('\n');
    expect(issuesOf(text)).toEqual([
      { path: 'name', pointer: '/name', message: '"name" is required', line: 1, column: 1 },
      { path: 'nodes[0].code', pointer: '/nodes/0/code', message: 'code must not be empty', line: 7, column: 11 },
      { path: 'nodes[1].type', pointer: '/nodes/1/type', message: 'unknown node type "webhook"; expected one of: script, http, transform, split, join, delay, subworkflow', line: 9, column: 11 },
      { path: 'nodes[2].timeoutMs', pointer: '/nodes/2/timeoutMs', message: 'timeoutMs must be at most 3600000', line: 14, column: 16 },
      { path: 'colour', pointer: '/colour', message: 'unknown key "colour"', line: 2, column: 1 },
      { path: 'nodes[1].id', pointer: '/nodes/1/id', message: 'duplicate node id "a" (already used by nodes[0])', line: 8, column: 9 },
      { path: 'edges[2].to', pointer: '/edges/2/to', message: 'no node has id "nope"', line: 18, column: 20 },
      { path: 'edges[3]', pointer: '/edges/3', message: 'duplicate edge a -> b-1 (same as edges[0])', line: 19, column: 5 },
      { path: 'edges[1]', pointer: '/edges/1', message: 'edges form a cycle: a -> b-1 -> a', line: 17, column: 5 },
    ]);
  });
});
