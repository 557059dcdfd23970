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
