import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { nodeTypes, parseWorkflowSource } from '../src/index.ts';

// Every ```yaml block of the user-facing reference is a whole workflow and must stay valid.
const reference = readFile(new URL('../../../docs/workflow-language.md', import.meta.url), 'utf8');

describe('docs/workflow-language.md', () => {
  it('has only valid YAML examples, at least one per node kind', async () => {
    const blocks = [...(await reference).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const kinds = new Set<string>();
    for (const block of blocks.filter((b) => b.startsWith('name:'))) {
      const result = parseWorkflowSource(block, 'yaml');
      if (!result.ok) throw new Error(`${block.split('\n')[0]}: ${JSON.stringify(result.issues)}`);
      for (const node of result.document.nodes) kinds.add(node.type);
    }
    expect([...kinds].sort()).toEqual([...nodeTypes].sort());
  });
});
