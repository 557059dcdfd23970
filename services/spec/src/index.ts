/**
 * `@orvanta/spec`: the Orvanta workflow document language, shared by the console and
 * the data planes. A workflow is a directed acyclic graph of typed nodes.
 */
export {
  workflowDocumentSchema,
  nodeSpecSchema,
  edgeSpecSchema,
  nodeTypes,
  type WorkflowDocument,
  type WorkflowDocumentInput,
  type NodeSpec,
  type NodeType,
  type ScriptNodeSpec,
  type EdgeSpec,
} from './schema.ts';
export { scriptNodeSpecSchema, MAX_SCRIPT_BYTES, MAX_SCRIPT_TIMEOUT_MS } from './nodes/script.ts';
export { NODE_ID_PATTERN } from './nodes/common.ts';
export type { SpecIssue, SpecResult } from './issues.ts';
export { validateWorkflowDocument } from './validate.ts';
export { parseWorkflowSource, type WorkflowSourceFormat } from './parse.ts';
export { workflowJsonSchema, WORKFLOW_SCHEMA_ID } from './json-schema.ts';
export { entryNodes, sinkNodes, successors, predecessors, getNode } from './graph.ts';
