import { checkGraph } from './graph-rules.ts';
import { fromZodIssues, toSpecIssue, type RawIssue, type SpecResult } from './issues.ts';
import { workflowDocumentSchema, type WorkflowDocument } from './schema.ts';

/**
 * Schema issues followed by graph issues, unrendered, so that `parseWorkflowSource` can
 * locate each one in the source text.
 */
export function collectIssues(value: unknown): { document?: WorkflowDocument; issues: RawIssue[] } {
  const parsed = workflowDocumentSchema.safeParse(value);
  const issues = [...(parsed.success ? [] : fromZodIssues(parsed.error.issues, value)), ...checkGraph(value)];
  return parsed.success && issues.length === 0 ? { document: parsed.data, issues } : { issues };
}

/**
 * Validates an already-parsed document: its shape (`workflowDocumentSchema`) and the
 * graph rules (unique node ids, edges between existing nodes, no duplicate edges, no
 * cycles). Every issue is reported, not just the first.
 */
export function validateWorkflowDocument(value: unknown): SpecResult<WorkflowDocument> {
  const { document, issues } = collectIssues(value);
  return document ? { ok: true, document } : { ok: false, issues: issues.map((i) => toSpecIssue(i)) };
}
