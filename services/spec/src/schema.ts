import { z } from 'zod';
import { scheduleTriggerSpecSchema } from './triggers/schedule.ts';
import { webhookTriggerSpecSchema } from './triggers/webhook.ts';
import { jsonataExpressionSchema } from './expressions.ts';
import { delayNodeSpecSchema } from './nodes/delay.ts';
import { httpNodeSpecSchema } from './nodes/http.ts';
import { joinNodeSpecSchema } from './nodes/join.ts';
import type { retrySpecSchema } from './nodes/retry.ts';
import { scriptNodeSpecSchema } from './nodes/script.ts';
import { splitNodeSpecSchema } from './nodes/split.ts';
import { subworkflowNodeSpecSchema } from './nodes/subworkflow.ts';
import { transformNodeSpecSchema } from './nodes/transform.ts';

/**
 * Every node kind, each a strict object with a literal `type`. To add a kind, write
 * `nodes/<kind>.ts` and list it here; the union, the error message for unknown types and
 * the JSON Schema follow.
 */
const nodeKindSchemas = [
  scriptNodeSpecSchema,
  httpNodeSpecSchema,
  transformNodeSpecSchema,
  splitNodeSpecSchema,
  joinNodeSpecSchema,
  delayNodeSpecSchema,
  subworkflowNodeSpecSchema,
] as const;

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

/** A directed edge: `to` runs with the output of `from`, when `when` holds. */
export const edgeSpecSchema = z
  .strictObject({
    /** Id of the upstream node. */
    from: z.string().describe('Id of the upstream node.'),
    /** Id of the downstream node, which receives the upstream node\'s output. */
    to: z.string().describe("Id of the downstream node, which receives the upstream node's output."),
    /**
     * JSONata condition on the upstream output (for a split, on each item); the edge is
     * followed only when it is truthy (not `false`, `null`, `0`, `""`, `[]` or nothing).
     */
    when: jsonataExpressionSchema(
      'when',
      'JSONata condition on the upstream output (for a split, on each item); the edge is followed only when it is truthy (not false, null, 0, "", [] or nothing).',
    ).optional(),
  })
  .describe('A directed edge: `to` runs with the output of `from`, when `when` holds.');

/**
 * The workflow document: a directed acyclic graph of nodes. This schema checks shape and
 * JSONata syntax; `validateWorkflowDocument` adds the graph rules (unique ids, edges
 * between existing nodes, no duplicate edges, no cycles, a join's `from` names a split
 * upstream of it).
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
    /** Triggers besides the API: the webhook's signature check. */
    triggers: z
      .strictObject({ webhook: webhookTriggerSpecSchema.optional(), schedule: scheduleTriggerSpecSchema.optional() })
      .optional()
      .describe('Triggers besides the API and the console.'),
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
/** An `http` node (`request.method` is filled in). */
export type HttpNodeSpec = z.output<typeof httpNodeSpecSchema>;
/** A `transform` node. */
export type TransformNodeSpec = z.output<typeof transformNodeSpecSchema>;
/** A `split` node. */
export type SplitNodeSpec = z.output<typeof splitNodeSpecSchema>;
/** A `join` node. */
export type JoinNodeSpec = z.output<typeof joinNodeSpecSchema>;
/** A `delay` node. */
export type DelayNodeSpec = z.output<typeof delayNodeSpecSchema>;
/** A `subworkflow` node. */
export type SubworkflowNodeSpec = z.output<typeof subworkflowNodeSpecSchema>;
/** A node's retry policy after validation: `backoff`, `delayMs` and `maxDelayMs` are filled in; `on` stays absent when not given. */
export type RetrySpec = z.output<typeof retrySpecSchema>;
/** An edge between two nodes. */
export type EdgeSpec = z.output<typeof edgeSpecSchema>;
