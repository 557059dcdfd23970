import type { EdgeSpec, NodeSpec, WorkflowDocument } from './schema.ts';

// Helpers for a document that passed `validateWorkflowDocument`: ids are unique and every
// edge names existing nodes. Results follow document order. Workflows are small, so each
// call scans the document rather than keeping an index that could go stale.

/** The node with this id; throws if the workflow has none (a bug in the caller, not bad input). */
export function getNode(doc: WorkflowDocument, id: string): NodeSpec {
  const node = doc.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`workflow ${JSON.stringify(doc.name)} has no node ${JSON.stringify(id)}`);
  return node;
}

/** Ids of the nodes with no incoming edge: where a run starts. */
export function entryNodes(doc: WorkflowDocument): string[] {
  const targets = new Set(doc.edges.map((e) => e.to));
  return doc.nodes.filter((n) => !targets.has(n.id)).map((n) => n.id);
}

/** Ids of the nodes with no outgoing edge: where a run ends. */
export function sinkNodes(doc: WorkflowDocument): string[] {
  const sources = new Set(doc.edges.map((e) => e.from));
  return doc.nodes.filter((n) => !sources.has(n.id)).map((n) => n.id);
}

/** Ids of the nodes that receive `nodeId`'s output, in edge order; throws if `nodeId` is unknown. */
export function successors(doc: WorkflowDocument, nodeId: string): string[] {
  getNode(doc, nodeId);
  return doc.edges.filter((e) => e.from === nodeId).map((e) => e.to);
}

/** Ids of the nodes whose output `nodeId` receives, in edge order; throws if `nodeId` is unknown. */
export function predecessors(doc: WorkflowDocument, nodeId: string): string[] {
  getNode(doc, nodeId);
  return doc.edges.filter((e) => e.to === nodeId).map((e) => e.from);
}

/** The edges leaving `nodeId`, in edge order, each with its `when` if it has one; throws if `nodeId` is unknown. */
export function outgoingEdges(doc: WorkflowDocument, nodeId: string): EdgeSpec[] {
  getNode(doc, nodeId);
  return doc.edges.filter((e) => e.from === nodeId);
}

/**
 * The split whose items the join `joinId` collects, or `null` when the join collects one
 * message from each predecessor instead. An explicit `from` wins. Otherwise it is the
 * nearest split upstream (fewest edges back) that no join in between already closes:
 * walking back, a join opens a level and a split closes one, like nested brackets, so
 * `split a -> split b -> join -> join` pairs the first join with `b` and the second with
 * `a`. Throws if `joinId` is unknown or not a join.
 */
export function joinSource(doc: WorkflowDocument, joinId: string): string | null {
  const node = getNode(doc, joinId);
  if (node.type !== 'join') throw new Error(`node ${JSON.stringify(joinId)} of workflow ${JSON.stringify(doc.name)} is a ${node.type} node, not a join`);
  if (node.from !== undefined) return node.from;
  const typeOf = new Map(doc.nodes.map((n) => [n.id, n.type]));
  const incoming = new Map<string, string[]>(doc.nodes.map((n) => [n.id, []]));
  for (const e of doc.edges) incoming.get(e.to)!.push(e.from);
  // Breadth-first, so the nearest split wins; `depth` counts the joins passed and not yet closed.
  const queue = incoming.get(joinId)!.map((id) => ({ id, depth: 0 }));
  const seen = new Set<string>();
  for (let head = 0; head < queue.length; head++) {
    const { id, depth } = queue[head]!;
    const key = `${depth}:${id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const type = typeOf.get(id);
    if (type === 'split' && depth === 0) return id;
    const next = type === 'join' ? depth + 1 : type === 'split' ? depth - 1 : depth;
    for (const up of incoming.get(id)!) queue.push({ id: up, depth: next });
  }
  return null;
}
