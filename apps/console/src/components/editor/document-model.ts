/**
 * The workflow editor's conversion layer, pure so it is tested without a DOM.
 *
 * The source text is the one truth. The visual view reads a flow model out of it
 * (`readModel`) and writes back by applying an edit to the parsed YAML `Document`
 * (`applyEdit`), never by re-serialising a plain object: fields the visual editor does not
 * know, key order, comments and scalar styles outlive every visual edit. JSON has no
 * comments, so a JSON source is re-printed with its keys in their order.
 */
import { Document, isMap, isScalar, isSeq, parseDocument, Scalar, type Node as YamlNode, type YAMLMap, type YAMLSeq } from 'yaml';

export type SourceFormat = 'yaml' | 'json';

/** A node as the canvas needs it; `index` is its place in `nodes`. */
export interface FlowNode {
  index: number;
  id: string;
  type: string;
  name?: string;
  /** The node's fields as plain values, unknown ones included. */
  spec: Record<string, unknown>;
}

/** An edge as the canvas needs it; `index` is its place in `edges`. */
export interface FlowEdge {
  index: number;
  from: string;
  to: string;
  when?: string;
}

export interface FlowModel {
  name: string;
  description?: string;
  nodes: FlowNode[];
  edges: FlowEdge[];
}

export type ReadResult = { ok: true; model: FlowModel } | { ok: false; error: string };

/** One change made in the visual view. Paths inside a node are relative to the node. */
export type DocEdit =
  | { op: 'setWorkflowField'; key: 'name' | 'description'; value: string | undefined }
  | { op: 'addNode'; node: Record<string, unknown> }
  | { op: 'renameNode'; index: number; id: string }
  | { op: 'setNodeField'; index: number; path: readonly string[]; value: unknown }
  | { op: 'addEdge'; from: string; to: string }
  | { op: 'setEdgeWhen'; index: number; when: string | undefined }
  /** Removes nodes (with every edge touching them) and edges, by index. */
  | { op: 'remove'; nodes: readonly number[]; edges: readonly number[] };

/** The text a new workflow starts from. */
export const NEW_WORKFLOW_YAML = 'name: untitled\nnodes: []\nedges: []\n';

/** The fields a new node of each kind starts with (besides `id` and `type`). */
export const NODE_TEMPLATES: Readonly<Record<string, Record<string, unknown>>> = {
  script: { language: 'javascript', code: 'export default (input, ctx) => input\n' },
  http: { application: 'example', request: { method: 'GET', url: 'https://example.com/' } },
  transform: { expression: '$' },
  split: { items: 'items' },
  join: {},
  delay: { durationMs: 1000 },
  subworkflow: { workflow: '' },
};

// Where a key goes when it is added, and the order a stored document is printed in:
// known keys first in this order, unknown keys after them in their own order.
const TOP_ORDER = ['name', 'description', 'triggers', 'nodes', 'edges'];
const NODE_ORDER = [
  'id',
  'name',
  'type',
  'language',
  'code',
  'application',
  'request',
  'expression',
  'items',
  'from',
  'durationMs',
  'workflow',
  'environment',
  'retry',
  'timeoutMs',
  'concurrency',
];
const EDGE_ORDER = ['from', 'to', 'when'];
const REQUEST_ORDER = ['method', 'url', 'headers', 'body'];
const RETRY_ORDER = ['attempts', 'backoff', 'delayMs', 'maxDelayMs', 'on'];

type Path = readonly (string | number)[];

/** The key order for the map at `path` (a path into the document), or none when free-form (headers, bodies, triggers). */
function orderAt(path: Path): readonly string[] | undefined {
  const [top, index, field] = path;
  if (path.length === 0) return TOP_ORDER;
  if (top === 'nodes' && typeof index === 'number') {
    if (path.length === 2) return NODE_ORDER;
    if (path.length === 3 && field === 'request') return REQUEST_ORDER;
    if (path.length === 3 && field === 'retry') return RETRY_ORDER;
    return undefined;
  }
  if (top === 'edges' && typeof index === 'number' && path.length === 2) return EDGE_ORDER;
  return undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses the source; `error` is the first syntax error (the code view shows them all, located). */
export function loadDocument(text: string, format: SourceFormat): { doc: Document } | { error: string } {
  if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { error: `The JSON does not parse: ${(err as Error).message}` };
    }
    if (!isRecord(value)) return { error: 'The document must be an object.' };
    return { doc: new Document(value) };
  }
  const doc: Document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) return { error: `The YAML does not parse: ${doc.errors[0]!.message}` };
  if (doc.contents === null) doc.contents = doc.createNode({});
  if (!isMap(doc.contents)) return { error: 'The document must be a map of fields (name, nodes, edges…).' };
  return { doc };
}

/** The document back to text: YAML keeps its comments and styles; JSON is re-printed. */
export function printDocument(doc: Document, format: SourceFormat): string {
  if (format === 'json') return `${JSON.stringify(doc.toJS(), null, 2)}\n`;
  return doc.toString({ lineWidth: 0 });
}

/** What the canvas draws: nodes and edges read leniently, skipping what is not an object. */
export function readModel(text: string, format: SourceFormat): ReadResult {
  const loaded = loadDocument(text, format);
  if ('error' in loaded) return { ok: false, error: loaded.error };
  let value: unknown;
  try {
    value = loaded.doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const doc = isRecord(value) ? value : {};
  const nodes: FlowNode[] = [];
  (Array.isArray(doc.nodes) ? doc.nodes : []).forEach((n: unknown, index: number) => {
    if (!isRecord(n)) return;
    nodes.push({
      index,
      id: typeof n.id === 'string' ? n.id : '',
      type: typeof n.type === 'string' ? n.type : '',
      ...(typeof n.name === 'string' && n.name ? { name: n.name } : {}),
      spec: n,
    });
  });
  const edges: FlowEdge[] = [];
  (Array.isArray(doc.edges) ? doc.edges : []).forEach((e: unknown, index: number) => {
    if (!isRecord(e) || typeof e.from !== 'string' || typeof e.to !== 'string') return;
    edges.push({ index, from: e.from, to: e.to, ...(typeof e.when === 'string' ? { when: e.when } : {}) });
  });
  return {
    ok: true,
    model: {
      name: typeof doc.name === 'string' ? doc.name : '',
      ...(typeof doc.description === 'string' ? { description: doc.description } : {}),
      nodes,
      edges,
    },
  };
}

/** An id for a new node of this kind that no node has yet: `script`, `script_2`… */
export function freshNodeId(model: FlowModel, type: string): string {
  const taken = new Set(model.nodes.map((n) => n.id));
  if (!taken.has(type)) return type;
  for (let i = 2; ; i++) if (!taken.has(`${type}_${i}`)) return `${type}_${i}`;
}

/** A new node of this kind with a fresh id, ready for `{ op: 'addNode' }`. */
export function newNode(model: FlowModel, type: string): Record<string, unknown> {
  return { id: freshNodeId(model, type), type, ...structuredClone(NODE_TEMPLATES[type] ?? {}) };
}

/**
 * Applies one visual edit to the source text and returns the new text. Throws when the
 * text does not parse: the visual view is read-only until the code view fixes it.
 */
export function applyEdit(text: string, format: SourceFormat, edit: DocEdit): string {
  const loaded = loadDocument(text, format);
  if ('error' in loaded) throw new Error(loaded.error);
  const { doc } = loaded;
  switch (edit.op) {
    case 'setWorkflowField':
      assign(doc, [edit.key], edit.value === '' && edit.key === 'description' ? undefined : edit.value);
      break;
    case 'addNode':
      append(doc, 'nodes', edit.node);
      break;
    case 'renameNode':
      renameNode(doc, edit.index, edit.id);
      break;
    case 'setNodeField':
      assign(doc, ['nodes', edit.index, ...edit.path], edit.value);
      break;
    case 'addEdge': {
      const exists = seqItems(doc, 'edges').some((e) => isMap(e) && scalarOf(e, 'from') === edit.from && scalarOf(e, 'to') === edit.to);
      if (!exists && edit.from !== edit.to) append(doc, 'edges', { from: edit.from, to: edit.to });
      break;
    }
    case 'setEdgeWhen':
      assign(doc, ['edges', edit.index, 'when'], edit.when === '' ? undefined : edit.when);
      break;
    case 'remove':
      remove(doc, edit.nodes, edit.edges);
      break;
  }
  return printDocument(doc, format);
}

function seqItems(doc: Document, key: string): unknown[] {
  const seq = doc.get(key, true);
  return isSeq(seq) ? seq.items : [];
}

function scalarOf(map: YAMLMap, key: string): unknown {
  const v = map.get(key, true);
  return isScalar(v) ? v.value : v;
}

/** Appends to the top-level list `key`, creating it when missing; a new item takes the style of the one before it. */
function append(doc: Document, key: string, value: Record<string, unknown>) {
  const node = doc.createNode(value) as YAMLMap;
  const seq = doc.get(key, true) as YamlNode | undefined;
  if (!isSeq(seq)) {
    assign(doc, [key], [value]);
    return;
  }
  const prev = seq.items[seq.items.length - 1];
  if (prev === undefined) seq.flow = false; // `nodes: []` becomes a block list
  else if (isMap(prev) && prev.flow) node.flow = true; // `- { from: a, to: b }` stays one line per edge
  seq.items.push(node);
}

function renameNode(doc: Document, index: number, id: string) {
  const node = doc.getIn(['nodes', index], true);
  if (!isMap(node)) return;
  const old = scalarOf(node, 'id');
  assign(doc, ['nodes', index, 'id'], id);
  if (typeof old !== 'string' || old === id) return;
  // Edges and joins follow the node, so a rename keeps the graph as it was.
  seqItems(doc, 'edges').forEach((e, i) => {
    if (!isMap(e)) return;
    if (scalarOf(e, 'from') === old) assign(doc, ['edges', i, 'from'], id);
    if (scalarOf(e, 'to') === old) assign(doc, ['edges', i, 'to'], id);
  });
  seqItems(doc, 'nodes').forEach((n, i) => {
    if (isMap(n) && scalarOf(n, 'type') === 'join' && scalarOf(n, 'from') === old) assign(doc, ['nodes', i, 'from'], id);
  });
}

function remove(doc: Document, nodeIndexes: readonly number[], edgeIndexes: readonly number[]) {
  const nodes = seqItems(doc, 'nodes');
  const goneIds = new Set(nodeIndexes.map((i) => nodes[i]).flatMap((n) => (isMap(n) ? [scalarOf(n, 'id')] : [])));
  const edgeSet = new Set(edgeIndexes);
  seqItems(doc, 'edges').forEach((e, i) => {
    if (isMap(e) && (goneIds.has(scalarOf(e, 'from')) || goneIds.has(scalarOf(e, 'to')))) edgeSet.add(i);
  });
  // Last first, so the indexes still to remove stay valid.
  for (const i of [...edgeSet].sort((a, b) => b - a)) doc.deleteIn(['edges', i]);
  for (const i of [...new Set(nodeIndexes)].sort((a, b) => b - a)) doc.deleteIn(['nodes', i]);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Sets the value at `path`, touching as little of the tree as it can: an unchanged value
 * is left alone, a scalar keeps its node (its style and comments), a map is updated key by
 * key, a new key goes where the language's key order puts it, and `undefined` deletes.
 */
export function assign(doc: Document, path: Path, value: unknown) {
  const existing = doc.getIn(path, true) as unknown;
  if (value === undefined) {
    if (doc.hasIn(path)) doc.deleteIn(path);
    return;
  }
  if (isMap(existing) && isRecord(value)) {
    for (const pair of [...existing.items]) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key === 'string' && !(key in value)) existing.delete(key);
    }
    for (const [key, v] of Object.entries(value)) assign(doc, [...path, key], v);
    return;
  }
  if (isScalar(existing) && (value === null || typeof value !== 'object')) {
    if (existing.value === value) return;
    existing.value = value;
    // Multi-line code reads better as a block than as one escaped line.
    if (typeof value === 'string' && value.includes('\n') && existing.type !== Scalar.BLOCK_LITERAL && existing.type !== Scalar.BLOCK_FOLDED) existing.type = Scalar.BLOCK_LITERAL;
    return;
  }
  if (existing !== undefined && isNodeLike(existing) && deepEqual(existing.toJSON(), value)) return;
  insert(doc, path, value);
}

function isNodeLike(value: unknown): value is { toJSON(): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** Replaces or adds the value at `path`, creating missing parents; new keys follow the key order. */
function insert(doc: Document, path: Path, value: unknown) {
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1]!;
  const parent = (parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true)) as unknown;
  const node = doc.createNode(value);
  if (isSeq(parent) && typeof key === 'number') {
    (parent as YAMLSeq).set(key, node);
    return;
  }
  if (!isMap(parent)) {
    // The parent is missing (or not a map): build it with this one key.
    assign(doc, parentPath, { [key]: value });
    return;
  }
  const map = parent as YAMLMap;
  if (map.has(key)) {
    map.set(key, node);
    return;
  }
  const pair = doc.createPair(key, node);
  const order = orderAt(parentPath);
  const rank = order?.indexOf(String(key)) ?? -1;
  if (!order || rank === -1) {
    map.items.push(pair);
    return;
  }
  // After the last key that comes before it in the order; first when none does.
  let at = 0;
  map.items.forEach((p, i) => {
    const k = isScalar(p.key) ? String(p.key.value) : String(p.key);
    const r = order.indexOf(k);
    if (r !== -1 && r < rank) at = i + 1;
  });
  map.items.splice(at, 0, pair);
}

/** Keys of `value` in the language's order (known first), the rest after in their own order. */
function ordered(value: Record<string, unknown>, order: readonly string[] | undefined): Record<string, unknown> {
  if (!order) return value;
  const keys = Object.keys(value);
  const known = order.filter((k) => keys.includes(k));
  const rest = keys.filter((k) => !order.includes(k));
  return Object.fromEntries([...known, ...rest].map((k) => [k, value[k]]));
}

function canonical(value: unknown, path: Path): unknown {
  if (Array.isArray(value)) return value.map((v, i) => canonical(v, [...path, i]));
  if (!isRecord(value)) return value;
  // Free-form values (headers, bodies, trigger inputs) keep their keys as written.
  const order = orderAt(path);
  if (!order && path.length > 0) return value;
  const out = ordered(value, order);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, canonical(v, [...path, k])]));
}

/**
 * The source text for a stored document (the API returns it as JSON, its keys in the
 * database's order): known keys in the language's order, edges one per line in YAML.
 */
export function sourceFromDocument(document: unknown, format: SourceFormat): string {
  const value = canonical(document, []);
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  const doc = new Document(value);
  const edges = doc.get('edges', true);
  if (isSeq(edges)) for (const e of edges.items) if (isMap(e)) e.flow = true;
  return doc.toString({ lineWidth: 0 });
}

/** Converts the source to the other format (YAML comments do not survive the trip to JSON). */
export function convertFormat(text: string, from: SourceFormat, to: SourceFormat): string {
  if (from === to) return text;
  const loaded = loadDocument(text, from);
  if ('error' in loaded) throw new Error(loaded.error);
  if (to === 'json') return printDocument(loaded.doc, 'json');
  return sourceFromDocument(loaded.doc.toJS(), 'yaml');
}

/** `nodes[2].request.url` → `{ index: 2, field: 'request.url' }`; edges likewise; `null` for workflow-level paths. */
export function issueTarget(path: string): { kind: 'node' | 'edge'; index: number; field: string } | null {
  const m = /^(nodes|edges)\[(\d+)\](?:\.?(.*))?$/.exec(path);
  if (!m) return null;
  return { kind: m[1] === 'nodes' ? 'node' : 'edge', index: Number(m[2]), field: m[3] ?? '' };
}
