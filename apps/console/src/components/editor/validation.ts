import { parseWorkflowSource, type SpecIssue } from '@orvanta/spec';
import { issueTarget, type SourceFormat } from './document-model';

/** An issue found in the browser (`client`) or in the server's 422 answer (`server`). */
export type EditorIssue = SpecIssue & { source: 'client' | 'server' };

/** The same checks the API runs, on the text being edited. */
export function validateSource(text: string, format: SourceFormat): EditorIssue[] {
  const result = parseWorkflowSource(text, format);
  return result.ok ? [] : result.issues.map((i) => ({ ...i, source: 'client' as const }));
}

/** Issues grouped by the node or edge index they point into. */
export function issuesByTarget(issues: readonly EditorIssue[]): { nodes: Map<number, EditorIssue[]>; edges: Map<number, EditorIssue[]>; other: EditorIssue[] } {
  const nodes = new Map<number, EditorIssue[]>();
  const edges = new Map<number, EditorIssue[]>();
  const other: EditorIssue[] = [];
  for (const issue of issues) {
    const target = issueTarget(issue.path);
    const map = target?.kind === 'node' ? nodes : target?.kind === 'edge' ? edges : null;
    if (!map || !target) other.push(issue);
    else map.set(target.index, [...(map.get(target.index) ?? []), issue]);
  }
  return { nodes, edges, other };
}

/** `nodes[1].code: code must not be empty` for lists; the field relative to its node when `relativeTo` is given. */
export function describeIssue(issue: SpecIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}
