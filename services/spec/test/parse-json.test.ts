import { describe, expect, it } from 'vitest';
import { parseWorkflowSource, type SpecIssue } from '../src/index.ts';
import { helloDocument, helloJson } from './fixtures.ts';

function issuesOf(text: string): SpecIssue[] {
  const result = parseWorkflowSource(text, 'json');
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
}

const syntax = (message: string, line: number, column: number): SpecIssue[] => [{ path: '', pointer: '', message: `JSON syntax error: ${message}`, line, column }];

describe('parseWorkflowSource (json)', () => {
  it('accepts the hello document', () => {
    expect(parseWorkflowSource(helloJson, 'json')).toEqual({ ok: true, document: helloDocument });
    expect(parseWorkflowSource('\uFEFF' + JSON.stringify(helloDocument), 'json').ok).toBe(true);
  });

  it('locates validation issues in the JSON text', () => {
    const doc = structuredClone(helloDocument) as Record<string, unknown> & typeof helloDocument;
    (doc.nodes[1] as Record<string, unknown>).type = 'foo';
    delete (doc as Partial<typeof doc>).name;
    doc.edges.push({ from: 'inc', to: 'double' });
    // Pretty-printed without name: nodes[1].type's value is on line 11 at column 15, edges[1] opens on line 21.
    expect(issuesOf(JSON.stringify(doc, null, 2))).toEqual([
      { path: 'name', pointer: '/name', message: '"name" is required', line: 1, column: 1 },
      { path: 'nodes[1].type', pointer: '/nodes/1/type', message: 'unknown node type "foo"; expected one of: script, http, transform, split, join, delay, subworkflow', line: 11, column: 15 },
      { path: 'edges[1]', pointer: '/edges/1', message: 'edges form a cycle: double -> inc -> double', line: 21, column: 5 },
    ]);
  });

  it('reports JSON syntax errors with line and column', () => {
    expect(issuesOf('{\n  "name": "x",\n  "nodes": [],\n}')).toEqual(syntax('trailing comma before "}"', 3, 14));
    expect(issuesOf('{\n  "name": "x\n}')).toEqual(syntax('unterminated string (line break inside a string)', 2, 11));
    expect(issuesOf('{\n  // hi\n  "name": "x"\n}')).toEqual(syntax('comments are not allowed in JSON', 2, 3));
    expect(issuesOf("{ 'name': 'x' }")).toEqual(syntax('expected a property name in double quotes, found "\'"', 1, 3));
    expect(issuesOf('{ "name": hello }')).toEqual(syntax('unexpected "hello"; expected a value (strings must be in double quotes)', 1, 11));
    expect(issuesOf('{ "name": "x" "nodes": [] }')).toEqual(syntax('expected "," or "}" after property value, found "\\""', 1, 15));
    expect(issuesOf('{ "name": "x", "name": "y" }')).toEqual(syntax('duplicate key "name"', 1, 16));
    expect(issuesOf('{ "n": 01 }')).toEqual(syntax('numbers must not have leading zeros', 1, 8));
    expect(issuesOf('{ "n": "\\x" }')).toEqual(syntax('invalid escape sequence "\\x"', 1, 9));
    expect(issuesOf('{} {}')).toEqual(syntax('unexpected "{" after the end of the JSON value', 1, 4));
    expect(issuesOf('[1, 2')).toEqual(syntax('expected "," or "]" after array element, found end of input', 1, 6));
    expect(issuesOf('')).toEqual(syntax('expected a value, found end of input', 1, 1));
  });

  it('handles deep nesting without overflowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(99_999);
    expect(issuesOf(deep)[0]!.message).toMatch(/^JSON syntax error: expected "," or "]"/);
  });

  it('accepts every construct that JSON.parse accepts', () => {
    const text = '{"a": [1, -0.5e+3, true, false, null, "\\u00e9\\n\\"", {}, []], "b": {"c": ""}}';
    expect(() => JSON.parse(text)).not.toThrow();
    // Reaches schema validation, so the syntax was accepted.
    expect(issuesOf(text).every((i) => !i.message.startsWith('JSON syntax error'))).toBe(true);
  });
});
