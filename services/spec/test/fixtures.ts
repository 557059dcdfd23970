// Shared documents for the spec tests. Line numbers in the tests refer to these texts.

export const helloYaml = `name: hello
nodes:
  - id: double
    type: script
    language: javascript
    code: "export default (input) => ({ n: input.n * 2 })"
  - id: inc
    type: script
    language: javascript
    code: "export default (input, ctx) => ({ n: input.n + 1, from: ctx.node.id })"
edges:
  - { from: double, to: inc }
`;

export const helloDocument = {
  name: 'hello',
  nodes: [
    { id: 'double', type: 'script', language: 'javascript', code: 'export default (input) => ({ n: input.n * 2 })' },
    { id: 'inc', type: 'script', language: 'javascript', code: 'export default (input, ctx) => ({ n: input.n + 1, from: ctx.node.id })' },
  ],
  edges: [{ from: 'double', to: 'inc' }],
};

export const helloJson = JSON.stringify(helloDocument, null, 2);

/** A script node with the given id, for documents built in code. */
export function script(id: string, extra: Record<string, unknown> = {}) {
  return { id, type: 'script', language: 'javascript', code: 'export default (x) => x', ...extra };
}

/** A valid node of every kind, as authored (defaults not filled in). */
export const kindExamples = {
  script: { id: 'calc', type: 'script', language: 'typescript', code: 'export default (x: { n: number }) => ({ n: x.n + 1 })' },
  http: {
    id: 'call',
    type: 'http',
    application: 'crm_v2',
    request: {
      method: 'POST',
      url: 'https://api.example.com/contacts/{{ input.id }}',
      headers: { authorization: 'Bearer {{ secrets.CRM_TOKEN }}', 'x-run': '{{ ctx.run.id }}' },
      body: { name: '{{ input.name }}', tags: ['{{ input.tag }}', 'static'], count: 2, ok: true, none: null },
    },
  },
  transform: { id: 'shape', type: 'transform', expression: "{ 'total': $sum(items.price), 'by': $ctx.node.id }" },
  split: { id: 'each', type: 'split', items: 'order.lines[]' },
  join: { id: 'all', type: 'join' },
  delay: { id: 'wait', type: 'delay', durationMs: 60_000 },
  subworkflow: { id: 'child', type: 'subworkflow', workflow: 'send invoice', environment: 'production' },
} as const;

/** A one-node document around `node`. */
export const single = (node: unknown) => ({ name: 'x', nodes: [node] });
