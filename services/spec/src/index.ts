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
  type HttpNodeSpec,
  type TransformNodeSpec,
  type SplitNodeSpec,
  type JoinNodeSpec,
  type DelayNodeSpec,
  type SubworkflowNodeSpec,
  type RetrySpec,
  type EdgeSpec,
} from './schema.ts';
export { scriptNodeSpecSchema, MAX_SCRIPT_BYTES, MAX_SCRIPT_TIMEOUT_MS, SCRIPT_LANGUAGES } from './nodes/script.ts';
export { httpNodeSpecSchema, httpRequestSpecSchema, APPLICATION_PATTERN, HTTP_METHODS } from './nodes/http.ts';
export { transformNodeSpecSchema } from './nodes/transform.ts';
export { splitNodeSpecSchema } from './nodes/split.ts';
export { joinNodeSpecSchema } from './nodes/join.ts';
export { delayNodeSpecSchema, MAX_DELAY_MS } from './nodes/delay.ts';
export { subworkflowNodeSpecSchema, ENVIRONMENT_PATTERN } from './nodes/subworkflow.ts';
export { retrySpecSchema, NON_RETRYABLE_ERRORS, RETRY_DEFAULTS, MAX_RETRY_ATTEMPTS, MAX_RETRY_DELAY_MS, MAX_RETRY_MAX_DELAY_MS } from './nodes/retry.ts';
export { NODE_ID_PATTERN, MAX_NODE_TIMEOUT_MS, MAX_NODE_CONCURRENCY } from './nodes/common.ts';
export { jsonataSyntaxError, templateExpressions, type JsonataSyntaxError, type TemplateExpression } from './expressions.ts';
export type { SpecIssue, SpecResult } from './issues.ts';
export { validateWorkflowDocument } from './validate.ts';
export { parseWorkflowSource, type WorkflowSourceFormat } from './parse.ts';
export { workflowJsonSchema, WORKFLOW_SCHEMA_ID } from './json-schema.ts';
export { entryNodes, sinkNodes, successors, predecessors, outgoingEdges, joinSource, getNode } from './graph.ts';
export { webhookTriggerSpecSchema, WEBHOOK_SIGNATURE_SCHEMES, type WebhookTriggerSpec } from './triggers/webhook.ts';
export { scheduleTriggerSpecSchema, type ScheduleTriggerSpec } from './triggers/schedule.ts';
