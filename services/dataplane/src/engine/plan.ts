import { joinSource as specJoinSource, type WorkflowDocument } from '@orvanta/spec';
import type { RetryPolicy } from './retry.ts';

/**
 * What the engine needs to know of a workflow version, worked out once per version:
 * nodes by id (with the fields every kind may carry), outgoing edges with their `when`,
 * which nodes can reach which (for joins), and the split whose items each join collects.
 */

export interface PlanNode {
  id: string;
  type: string;
  name?: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  [field: string]: unknown;
}

export interface PlanEdge {
  from: string;
  to: string;
  when?: string;
}

export interface Plan {
  document: WorkflowDocument;
  nodes: Map<string, PlanNode>;
  outgoing: Map<string, PlanEdge[]>;
  /** Node ids in document order, for ordering a join's inputs. */
  order: string[];
  /** reach.get(a).has(b): a path leads from a to b (a itself excluded unless on a cycle). */
  reach: Map<string, Set<string>>;
  /** The nodes from which a path leads to each node (its ancestors). */
  upstream: Map<string, string[]>;
  /** For each join: the split whose items it collects, or null to wait for its predecessors. */
  joinSource: Map<string, string | null>;
}

export function buildPlan(document: WorkflowDocument): Plan {
  const nodes = new Map<string, PlanNode>(document.nodes.map((n) => [n.id, n as unknown as PlanNode]));
  const edges = (document.edges ?? []) as PlanEdge[];
  const outgoing = new Map<string, PlanEdge[]>(document.nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    outgoing.get(e.from)!.push(e);
  }
  const reach = new Map<string, Set<string>>();
  for (const id of nodes.keys()) {
    const seen = new Set<string>();
    const stack = [...outgoing.get(id)!.map((e) => e.to)];
    while (stack.length) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...outgoing.get(next)!.map((e) => e.to));
    }
    reach.set(id, seen);
  }
  const upstream = new Map<string, string[]>([...nodes.keys()].map((id) => [id, [...nodes.keys()].filter((from) => reach.get(from)!.has(id))]));
  const joinSource = new Map<string, string | null>();
  for (const node of nodes.values()) if (node.type === 'join') joinSource.set(node.id, specJoinSource(document, node.id));
  return { document, nodes, outgoing, order: document.nodes.map((n) => n.id), reach, upstream, joinSource };
}

/** Split lineage of a message, outermost first. */
export interface BranchFrame {
  /** The split node. */
  split: string;
  /** The split's message: one group per split execution. */
  group: string;
  index: number;
  count: number;
}

export const branchOf = (value: unknown): BranchFrame[] => (Array.isArray(value) ? (value as BranchFrame[]) : []);

/** The inputs a message arriving at a join is collected with: "<join>|<split group>" or "<join>|run". */
export function joinKeyOf(plan: Plan, joinId: string, branch: unknown): string {
  const source = plan.joinSource.get(joinId) ?? null;
  const frame = source ? branchOf(branch).findLast((f) => f.split === source) : undefined;
  return `${joinId}|${frame?.group ?? 'run'}`;
}
