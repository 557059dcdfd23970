import type { NodeSpec, WorkflowDocument } from './schema.ts';

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
