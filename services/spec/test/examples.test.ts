import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { joinSource, outgoingEdges, parseWorkflowSource } from '../src/index.ts';

const example = (name: string) => readFile(new URL(`../../../examples/${name}`, import.meta.url), 'utf8');

describe('examples/', () => {
  it('hello.yaml is valid', async () => {
    expect(parseWorkflowSource(await example('hello.yaml'), 'yaml').ok).toBe(true);
  });

  it('order-pipeline.yaml is valid and uses split, http, transform, join, when and retry', async () => {
    const result = parseWorkflowSource(await example('order-pipeline.yaml'), 'yaml');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const doc = result.document;
    expect(doc.nodes.map((n) => `${n.id}:${n.type}`)).toEqual(['lines:split', 'price:http', 'line:transform', 'priced:join', 'total:transform']);
    expect(joinSource(doc, 'priced')).toBe('lines');
    expect(outgoingEdges(doc, 'line')).toEqual([{ from: 'line', to: 'priced', when: 'inStock' }]);
    expect(doc.nodes[1]!.retry).toEqual({ attempts: 5, backoff: 'exponential', delayMs: 500, maxDelayMs: 30_000, on: ['HttpServerError', 'HttpRateLimited', 'NetworkError', 'Timeout'] });
  });
});
