import { describe, expect, it } from 'vitest';
import { nodeTypes, workflowJsonSchema } from '../src/index.ts';
import { helloDocument } from './fixtures.ts';

type Schema = {
  $schema?: string;
  $id?: string;
  title?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: Schema;
  oneOf?: Schema[];
  const?: unknown;
};

describe('workflowJsonSchema', () => {
  const schema = workflowJsonSchema() as Schema;

  it('is a draft 2020-12 schema with our $id and a title', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe('https://orvanta.dev/schema/workflow.json');
    expect(schema.title).toEqual(expect.any(String));
  });

  it('describes the document as authored: strict, name and nodes required, edges optional', () => {
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['name', 'nodes']);
    expect(Object.keys(schema.properties!)).toEqual(['name', 'description', 'nodes', 'edges']);
    expect(schema.properties!.edges!.items!.required).toEqual(['from', 'to']);
  });

  it('lists every node type with its required fields', () => {
    const kinds = schema.properties!.nodes!.items!.oneOf!;
    expect(kinds.map((k) => k.properties!.type!.const)).toEqual(nodeTypes);
    expect(nodeTypes).toContain('script');
    const scriptKind = kinds.find((k) => k.properties!.type!.const === 'script')!;
    expect(scriptKind.required).toEqual(['id', 'type', 'language', 'code']);
    expect(scriptKind.additionalProperties).toBe(false);
  });

  it('fits the hello document', () => {
    const kinds = schema.properties!.nodes!.items!.oneOf!;
    expect(schema.required!.every((k) => k in helloDocument)).toBe(true);
    expect(Object.keys(helloDocument).every((k) => k in schema.properties!)).toBe(true);
    for (const node of helloDocument.nodes) {
      const kind = kinds.find((k) => k.properties!.type!.const === node.type)!;
      expect(kind.required!.every((k) => k in node)).toBe(true);
      expect(Object.keys(node).every((k) => k in kind.properties!)).toBe(true);
    }
  });

  it('returns a fresh object each time', () => {
    (workflowJsonSchema() as Schema).title = 'changed';
    expect((workflowJsonSchema() as Schema).title).not.toBe('changed');
  });
});
