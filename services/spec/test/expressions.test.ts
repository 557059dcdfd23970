import { describe, expect, it } from 'vitest';
import { jsonataSyntaxError, parseWorkflowSource, templateExpressions, validateWorkflowDocument, type SpecIssue } from '../src/index.ts';
import { kindExamples, single } from './fixtures.ts';

function issuesOf(value: unknown): SpecIssue[] {
  const result = validateWorkflowDocument(value);
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
}

const http = (request: Record<string, unknown>) => single({ id: 'call', type: 'http', application: 'api', request: { url: 'https://api.example.com', ...request } });

describe('JSONata syntax', () => {
  it('reports jsonata\'s message and position', () => {
    expect(jsonataSyntaxError('order.total > 100')).toBeUndefined();
    expect(jsonataSyntaxError('order.lines[')).toEqual({ message: 'Expected "]" before end of expression', position: 12, code: 'S0203' });
  });

  it('checks transform.expression and split.items', () => {
    expect(issuesOf(single({ ...kindExamples.transform, expression: '$sum(items.price' }))).toEqual([
      { path: 'nodes[0].expression', pointer: '/nodes/0/expression', message: 'JSONata syntax error: Expected ")" before end of expression (at position 16)' },
    ]);
    expect(issuesOf(single({ ...kindExamples.split, items: 'a = = b' }))).toEqual([
      { path: 'nodes[0].items', pointer: '/nodes/0/items', message: 'JSONata syntax error: The symbol "=" cannot be used as a unary operator (at position 5)' },
    ]);
  });

  it('checks edge conditions', () => {
    const doc = { name: 'x', nodes: [kindExamples.split, kindExamples.join], edges: [{ from: 'each', to: 'all', when: "status = 'ok" }] };
    expect(issuesOf(doc)).toEqual([
      { path: 'edges[0].when', pointer: '/edges/0/when', message: 'JSONata syntax error: String literal must be terminated by a matching quote (at position 12)' },
    ]);
  });

  it('checks every template of the url, header values and body strings, positions counted in the field', () => {
    //           0         1         2
    //           0123456789012345678901234567
    const url = 'https://x.example/{{ id. }}?q={{ (q }}';
    const issues = issuesOf(
      http({
        url,
        headers: { 'x-a': 'ok {{ input.a }}', 'x-b': '{{ input.b + }}' },
        body: { fine: '{{ input }}', list: ['{{ [1, 2 }}', { deep: 'n={{ $count( }}' }], 'a {{ key }}': 'keys are not templates' },
      }),
    );
    expect(issues).toEqual([
      { path: 'nodes[0].request.url', pointer: '/nodes/0/request/url', message: 'JSONata syntax error: Unexpected end of expression (at position 24)' },
      { path: 'nodes[0].request.url', pointer: '/nodes/0/request/url', message: 'JSONata syntax error: Expected ")" before end of expression (at position 35)' },
      { path: 'nodes[0].request.headers["x-b"]', pointer: '/nodes/0/request/headers/x-b', message: 'JSONata syntax error: Unexpected end of expression (at position 12)' },
      { path: 'nodes[0].request.body.list[0]', pointer: '/nodes/0/request/body/list/0', message: 'JSONata syntax error: Expected "]" before end of expression (at position 8)' },
      { path: 'nodes[0].request.body.list[1].deep', pointer: '/nodes/0/request/body/list/1/deep', message: 'JSONata syntax error: Expected ")" before end of expression (at position 12)' },
    ]);
    expect(url.slice(0, 24)).toBe('https://x.example/{{ id.');
  });

  it('finds templates the way the data plane renders them', () => {
    expect(templateExpressions('a {{ x }} b {{y}} {{ }} {{ unclosed')).toEqual([
      { expression: 'x', offset: 5 },
      { expression: 'y', offset: 14 },
      { expression: '', offset: 21 },
    ]);
    // An expression ends at the first "}}": nested object constructors need a space.
    expect(templateExpressions('{{ {"a": {"b": 1} } }}')).toEqual([{ expression: '{"a": {"b": 1} }', offset: 3 }]);
    expect(issuesOf(http({ url: 'https://x.example/{{ {"a": {"b": 1}} }}' }))[0]!.message).toMatch(/^JSONata syntax error: /);
    expect(issuesOf(http({ url: 'https://x.example/{{ }}' }))[0]!.message).toBe('JSONata syntax error: Unexpected end of expression (at position 21)');
    // Strings without templates, and a lone "{{", are plain text.
    expect(validateWorkflowDocument(http({ body: { text: 'a {{ b', css: '{ color: red }' } })).ok).toBe(true);
  });

  it('locates expression errors in YAML', () => {
    const text = [
      'name: x',
      'nodes:',
      '  - id: each',
      '    type: split',
      '    items: "lines[" ', //            5
      '  - id: call',
      '    type: http',
      '    application: api',
      '    request:',
      '      url: "https://x/{{ a. }}"', // 10
      '      body:',
      '        ids:',
      '          - "{{ $$ }}"',
      '          - "{{ ) }}"', //           14
      '  - id: all',
      '    type: join',
      'edges:',
      '  - { from: each, to: call, when: "x >" }', // 18
      '  - { from: call, to: all }',
      '',
    ].join('\n');
    const result = parseWorkflowSource(text, 'yaml');
    if (result.ok) throw new Error('expected issues');
    expect(result.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`)).toEqual([
      '5:12 nodes[0].items: JSONata syntax error: Expected "]" before end of expression (at position 6)',
      '10:12 nodes[1].request.url: JSONata syntax error: Unexpected end of expression (at position 15)',
      '14:13 nodes[1].request.body.ids[1]: JSONata syntax error: The symbol ")" cannot be used as a unary operator (at position 4)',
      '18:35 edges[0].when: JSONata syntax error: Unexpected end of expression (at position 3)',
    ]);
  });
});
