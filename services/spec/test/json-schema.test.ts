import { describe, expect, it } from 'vitest';
import { nodeTypes, workflowJsonSchema } from '../src/index.ts';
import { helloDocument, kindExamples } from './fixtures.ts';

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
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  description?: string;
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
    expect(Object.keys(schema.properties!)).toEqual(['name', 'description', 'nodes', 'edges', 'triggers']);
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

  const kind = (type: string) => schema.properties!.nodes!.items!.oneOf!.find((k) => k.properties!.type!.const === type)!;

  it('describes every kind with its own fields, the common ones included', () => {
    const common = ['id', 'name', 'retry', 'timeoutMs', 'concurrency', 'type'];
    const own: Record<string, string[]> = {
      script: ['language', 'code'],
      http: ['application', 'request'],
      transform: ['expression'],
      split: ['items'],
      join: ['from'],
      delay: ['durationMs'],
      subworkflow: ['workflow', 'environment'],
    };
    expect(Object.keys(own)).toEqual(nodeTypes);
    for (const type of nodeTypes) {
      const k = kind(type);
      expect(Object.keys(k.properties!).sort(), type).toEqual([...common, ...own[type]!].sort());
      expect(k.additionalProperties, type).toBe(false);
      expect(k.description, type).toEqual(expect.any(String));
    }
    expect(kind('http').required).toEqual(['id', 'type', 'application', 'request']);
    expect(kind('transform').required).toEqual(['id', 'type', 'expression']);
    expect(kind('split').required).toEqual(['id', 'type', 'items']);
    expect(kind('join').required).toEqual(['id', 'type']);
    expect(kind('delay').required).toEqual(['id', 'type', 'durationMs']);
    expect(kind('subworkflow').required).toEqual(['id', 'type', 'workflow']);
  });

  it('carries limits, patterns and defaults', () => {
    expect(kind('script').properties!.language!.enum).toEqual(['javascript', 'typescript', 'python', 'shell']);
    expect(kind('script').properties!.timeoutMs).toMatchObject({ type: 'integer', minimum: 1, maximum: 3_600_000 });
    expect(kind('split').properties!.concurrency).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    const retry = kind('join').properties!.retry!;
    expect(retry.required).toEqual(['attempts']);
    expect(retry.additionalProperties).toBe(false);
    expect(retry.properties!.attempts).toMatchObject({ minimum: 1, maximum: 20 });
    expect(retry.properties!.backoff).toMatchObject({ enum: ['fixed', 'exponential'], default: 'exponential' });
    expect(retry.properties!.delayMs).toMatchObject({ minimum: 1, maximum: 3_600_000, default: 1000 });
    expect(retry.properties!.maxDelayMs).toMatchObject({ minimum: 1, maximum: 86_400_000, default: 300_000 });
    expect(retry.properties!.on).toMatchObject({ type: 'array', minItems: 1 });
    const http = kind('http');
    expect(http.properties!.application).toMatchObject({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' });
    const request = http.properties!.request!;
    expect(request.required).toEqual(['url']);
    expect(request.properties!.method).toMatchObject({ enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'], default: 'GET' });
    expect(Object.keys(request.properties!)).toEqual(['method', 'url', 'headers', 'body']);
    expect(kind('delay').properties!.durationMs).toMatchObject({ type: 'integer', minimum: 1, maximum: 2_592_000_000 });
    expect(schema.properties!.edges!.items!.properties!.when).toMatchObject({ type: 'string', minLength: 1 });
  });

  it('fits an example of every kind', () => {
    for (const node of Object.values(kindExamples)) {
      const k = kind(node.type);
      expect(k.required!.every((f) => f in node), node.type).toBe(true);
      expect(Object.keys(node).every((f) => f in k.properties!), node.type).toBe(true);
    }
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
