import { z } from 'zod';
import { workflowDocumentSchema } from './schema.ts';

/** The `$id` under which the workflow JSON Schema is published. */
export const WORKFLOW_SCHEMA_ID = 'https://orvanta.dev/schema/workflow.json';

/**
 * The published JSON Schema (draft 2020-12) for workflow documents, generated from
 * `workflowDocumentSchema` so it cannot drift. It describes the document as authored
 * (`edges` optional). Graph rules (unique ids, existing edge ends, no cycles) are not
 * expressible in JSON Schema; only `validateWorkflowDocument` checks them.
 * Returns a fresh object on each call.
 */
export function workflowJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(workflowDocumentSchema, { target: 'draft-2020-12', io: 'input' });
  return { $schema, $id: WORKFLOW_SCHEMA_ID, title: 'Orvanta workflow', ...rest };
}
