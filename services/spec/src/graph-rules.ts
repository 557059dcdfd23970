import type { RawIssue } from './issues.ts';

type Edge = { index: number; from: string; to: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The rules zod cannot express: unique node ids, edges between existing nodes, no
 * duplicate edges, a join's `from` names a split upstream of it, no cycles. Runs on the
 * raw input, not only on a schema-valid document, so a single pass reports every problem;
 * parts the schema rejects (an id that is not a string, say) are skipped here because the
 * schema already reported them.
 */
export function checkGraph(input: unknown): RawIssue[] {
  if (!isRecord(input)) return [];
  const issues: RawIssue[] = [];
  const nodes = Array.isArray(input.nodes) ? input.nodes : [];
  const edges = Array.isArray(input.edges) ? input.edges : [];

  // Ids in document order; the first node with an id owns it.
  const firstIndex = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (!isRecord(node) || typeof node.id !== 'string') return;
    const first = firstIndex.get(node.id);
    if (first === undefined) firstIndex.set(node.id, i);
    else issues.push({ path: ['nodes', i, 'id'], message: `duplicate node id ${JSON.stringify(node.id)} (already used by nodes[${first}])` });
  });

  const graphEdges: Edge[] = [];
  const seen = new Map<string, number>();
  edges.forEach((edge, i) => {
    if (!isRecord(edge)) return;
    let dangling = false;
    for (const end of ['from', 'to'] as const) {
      const id = edge[end];
      if (typeof id === 'string' && !firstIndex.has(id)) {
        issues.push({ path: ['edges', i, end], message: `no node has id ${JSON.stringify(id)}` });
        dangling = true;
      }
    }
    if (dangling || typeof edge.from !== 'string' || typeof edge.to !== 'string') return;
    const key = JSON.stringify([edge.from, edge.to]);
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({ path: ['edges', i], message: `duplicate edge ${edge.from} -> ${edge.to} (same as edges[${first}])` });
      return;
    }
    seen.set(key, i);
    graphEdges.push({ index: i, from: edge.from, to: edge.to });
  });

  issues.push(...checkJoinSources(nodes, firstIndex, graphEdges));
  issues.push(...findCycles([...firstIndex.keys()], graphEdges));
  return issues;
}

/** A join's `from` must be a split node with a path of edges to the join. */
function checkJoinSources(nodes: unknown[], firstIndex: Map<string, number>, edges: Edge[]): RawIssue[] {
  const issues: RawIssue[] = [];
  const out = new Map<string, string[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const reachable = new Map<string, Set<string>>();
  const reachFrom = (start: string): Set<string> => {
    let seen = reachable.get(start);
    if (seen) return seen;
    seen = new Set();
    const stack = [...(out.get(start) ?? [])];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(out.get(id) ?? []));
    }
    reachable.set(start, seen);
    return seen;
  };

  nodes.forEach((node, i) => {
    if (!isRecord(node) || node.type !== 'join' || typeof node.from !== 'string') return;
    const from = node.from;
    const path = ['nodes', i, 'from'];
    const source = firstIndex.get(from);
    if (source === undefined) {
      issues.push({ path, message: `no node has id ${JSON.stringify(from)}` });
      return;
    }
    const type = (nodes[source] as Record<string, unknown>).type;
    if (type !== 'split') {
      const what = typeof type === 'string' ? `a ${type} node` : 'not a split node';
      issues.push({ path, message: `from must name the split node whose items this join collects; ${JSON.stringify(from)} is ${what}` });
      return;
    }
    if (typeof node.id === 'string' && !reachFrom(from).has(node.id)) {
      issues.push({ path, message: `split ${JSON.stringify(from)} is not upstream of this join: no path of edges leads from it to ${JSON.stringify(node.id)}` });
    }
  });
  return issues;
}

/**
 * Depth-first search in document order; every back edge closes a cycle and is reported
 * at its own path. Removing exactly the reported edges would make the graph acyclic, so
 * the list is complete without enumerating every cycle (which can be exponential).
 * Iterative so that a long chain cannot overflow the stack.
 */
function findCycles(ids: string[], edges: Edge[]): RawIssue[] {
  const out = new Map<string, Edge[]>(ids.map((id) => [id, []]));
  for (const e of edges) out.get(e.from)!.push(e);

  const issues: RawIssue[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: { id: string; next: number }[] = [];
  const onStack: string[] = [];

  for (const root of ids) {
    if (state.has(root)) continue;
    stack.push({ id: root, next: 0 });
    onStack.push(root);
    state.set(root, 'open');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const edge = out.get(frame.id)![frame.next++];
      if (!edge) {
        state.set(frame.id, 'done');
        stack.pop();
        onStack.pop();
        continue;
      }
      const s = state.get(edge.to);
      if (s === 'open') {
        const cycle = [...onStack.slice(onStack.lastIndexOf(edge.to)), edge.to];
        issues.push({ path: ['edges', edge.index], message: `edges form a cycle: ${cycle.join(' -> ')}` });
      } else if (s === undefined) {
        state.set(edge.to, 'open');
        stack.push({ id: edge.to, next: 0 });
        onStack.push(edge.to);
      }
    }
  }
  return issues.sort((a, b) => (a.path[1] as number) - (b.path[1] as number));
}
