import { z } from 'zod';
import { scriptNodeSpecSchema } from './nodes/script.ts';

/**
 * Every node kind, each a strict object with a literal `type`. To add a kind (http,
 * transform, split, join, delay, subworkflow), write `nodes/<kind>.ts` and list it here;
 * the union, the error message for unknown types and the JSON Schema follow.
 */
const nodeKindSchemas = [scriptNodeSpecSchema] as const;

/** One node of the workflow graph, discriminated by `type`. */
export const nodeSpecSchema = z
  .discriminatedUnion('type', nodeKindSchemas, {
    error: (issue) => {
      const options = issue.code === 'invalid_union' ? (issue as { options?: unknown[] }).options : undefined;
      if (!options) return undefined; // not an object: zod's "expected object" message is fine
      const expected = `expected one of: ${options.join(', ')}`;
      const input = issue.input as Record<string, unknown> | undefined;
      const type = input?.type;
      if (type === undefined) return `node type is required; ${expected}`;
      return `unknown node type ${JSON.stringify(type)}; ${expected}`;
    },
  })
  .describe('A node of the workflow graph; `type` selects its kind.');

/** The `type` values a node may have, in declaration order. */
export const nodeTypes = nodeKindSchemas.map((s) => s.shape.type.value);

/** A directed edge: `to` runs with the output of `from`. */
export const edgeSpecSchema = z
  .strictObject({
    /** Id of the upstream node. */
    from: z.string().describe('Id of the upstream node.'),
    /** Id of the downstream node, which receives the upstream node\'s output. */
    to: z.string().describe("Id of the downstream node, which receives the upstream node's output."),
  })
  .describe('A directed edge: `to` runs with the output of `from`.');

/**
 * The workflow document: a directed acyclic graph of nodes. This schema checks shape
 * only; `validateWorkflowDocument` adds the graph rules (unique ids, edges between
 * existing nodes, no duplicate edges, no cycles).
 */
export const workflowDocumentSchema = z
  .strictObject({
    /** Workflow name, 1 to 100 characters. */
    name: z
      .string()
      .min(1, { error: 'name must not be empty' })
      .max(100, { error: 'name must be at most 100 characters' })
      .describe('Workflow name, 1 to 100 characters.'),
    /** Free-text description shown in the console. */
    description: z.string().optional().describe('Free-text description shown in the console.'),
    /** The nodes of the graph (at least one); ids must be unique. */
    nodes: z
      .array(nodeSpecSchema)
      .min(1, { error: 'a workflow needs at least one node' })
      .describe('The nodes of the graph (at least one); ids must be unique.'),
    /** Edges between nodes; together they must not form a cycle. Defaults to no edges. */
    edges: z
      .array(edgeSpecSchema)
      .default([])
      .describe('Edges between nodes; together they must not form a cycle. Defaults to no edges.'),
  })
  .describe('An Orvanta workflow: a directed acyclic graph of nodes.');

/** A workflow document after validation (`edges` always present). */
export type WorkflowDocument = z.output<typeof workflowDocumentSchema>;
/** A workflow document as authored (`edges` may be omitted). */
export type WorkflowDocumentInput = z.input<typeof workflowDocumentSchema>;
/** Any node of a workflow. */
export type NodeSpec = z.output<typeof nodeSpecSchema>;
/** The node kinds, by their `type`. */
export type NodeType = NodeSpec['type'];
/** A `script` node. */
export type ScriptNodeSpec = z.output<typeof scriptNodeSpecSchema>;
/** An edge between two nodes. */
export type EdgeSpec = z.output<typeof edgeSpecSchema>;
