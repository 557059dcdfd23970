/**
 * Left-to-right layered layout of a workflow graph, pure and deterministic (same input,
 * same output), so the run page can draw it as SVG and tests can check it without a DOM.
 *
 * 1. Layers: longest path from the entry nodes (no incoming edge), so every edge points
 *    to a later layer. Workflows are acyclic, but a cycle is tolerated: its closing edges
 *    (found by a depth-first walk in node order) are laid out reversed and flagged `back`.
 * 2. Edges spanning several layers get a virtual point in each layer they cross, so they
 *    are routed between the boxes instead of through them.
 * 3. Order within a layer: document order first, then alternating down/up barycentre
 *    sweeps; the ordering with the fewest crossings wins.
 * 4. Coordinates: one column per layer; boxes stacked in their order, columns centred
 *    vertically; edges are cubic Bézier paths from a box's right side to the next box's left.
 *
 * Edges whose ends are not in `nodeIds`, repeated edges (for layering) and self-loops are
 * ignored by the layering; unknown-end edges and self-loops are left out of the output.
 */

export interface LayoutEdgeInput {
  from: string;
  to: string;
  when?: string;
}

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  /** Horizontal space between two columns (where the edges run). */
  columnGap: number;
  /** Vertical space between two boxes of a column. */
  rowGap: number;
  /** Height a virtual point (an edge crossing a column) takes in its column. */
  laneHeight: number;
  padding: number;
  /** Barycentre sweeps (each one down and one up). */
  sweeps: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = {
  nodeWidth: 168,
  nodeHeight: 48,
  columnGap: 56,
  rowGap: 16,
  laneHeight: 8,
  padding: 8,
  sweeps: 4,
};

export interface NodePosition {
  id: string;
  /** Column, 0 for entry nodes. */
  layer: number;
  /** Index among the boxes of its column, top to bottom. */
  order: number;
  /** Top-left corner. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface EdgePath {
  /** Index of the edge in the input, for stable keys. */
  index: number;
  from: string;
  to: string;
  when?: string;
  /** SVG path data from the right side of `from` to the left side of `to`. */
  path: string;
  /** Closes a cycle: drawn against the layer direction. */
  back: boolean;
}

export interface GraphLayout {
  nodes: NodePosition[];
  edges: EdgePath[];
  /** Real node ids per layer, in order. */
  layers: string[][];
  width: number;
  height: number;
}

type Item = { key: string; node: string | null };
type Segment = { from: string; to: string };

export function layoutGraph(nodeIds: readonly string[], edges: readonly LayoutEdgeInput[], options: Partial<LayoutOptions> = {}): GraphLayout {
  const opts = { ...DEFAULT_LAYOUT, ...options };
  const ids = [...new Set(nodeIds)];
  const known = new Set(ids);
  if (ids.length === 0) return { nodes: [], edges: [], layers: [], width: 0, height: 0 };

  // Edges that take part in the layout: known ends, no self-loops.
  const usable = edges.map((edge, index) => ({ ...edge, index })).filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to);

  // Outgoing adjacency in edge order, without repeats.
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of usable) {
    const list = out.get(e.from)!;
    if (!list.includes(e.to)) list.push(e.to);
  }

  // Back edges: depth-first from the entry nodes, then from anything not reached yet.
  const back = new Set<string>();
  const state = new Map<string, 1 | 2>();
  const hasIncoming = new Set(usable.map((e) => e.to));
  const visit = (root: string) => {
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const succ = out.get(top.id)!;
      if (top.next >= succ.length) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      const to = succ[top.next++]!;
      const s = state.get(to);
      if (s === 1) back.add(pairKey(top.id, to));
      else if (s === undefined) {
        state.set(to, 1);
        stack.push({ id: to, next: 0 });
      }
    }
  };
  for (const id of ids) if (!hasIncoming.has(id) && !state.has(id)) visit(id);
  for (const id of ids) if (!state.has(id)) visit(id);

  // The acyclic graph used for layering: back edges reversed.
  const dag: Segment[] = [];
  const seen = new Set<string>();
  for (const e of usable) {
    const [from, to] = back.has(pairKey(e.from, e.to)) ? [e.to, e.from] : [e.from, e.to];
    const key = pairKey(from, to);
    if (seen.has(key)) continue;
    seen.add(key);
    dag.push({ from, to });
  }

  // Longest-path layering (Kahn's order, ties in document order).
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  const indegree = new Map<string, number>(ids.map((id) => [id, 0]));
  const dagOut = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const s of dag) {
    dagOut.get(s.from)!.push(s.to);
    indegree.set(s.to, indegree.get(s.to)! + 1);
  }
  const queue = ids.filter((id) => indegree.get(id) === 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const to of dagOut.get(id)!) {
      layer.set(to, Math.max(layer.get(to)!, layer.get(id)! + 1));
      const d = indegree.get(to)! - 1;
      indegree.set(to, d);
      if (d === 0) queue.push(to);
    }
  }
  const layerCount = Math.max(...layer.values()) + 1;

  // Columns of items (real nodes and virtual points), and the segments between adjacent columns.
  const columns: Item[][] = Array.from({ length: layerCount }, () => []);
  for (const id of ids) columns[layer.get(id)!]!.push({ key: `n:${id}`, node: id });
  const segments: Segment[] = [];
  /** Item keys each DAG edge passes through, source to target. */
  const chains = new Map<string, string[]>();
  for (const s of dag) {
    const a = layer.get(s.from)!;
    const b = layer.get(s.to)!;
    const chain = [`n:${s.from}`];
    for (let l = a + 1; l < b; l++) {
      const key = `v:${s.from}>${s.to}@${l}`;
      columns[l]!.push({ key, node: null });
      chain.push(key);
    }
    chain.push(`n:${s.to}`);
    for (let i = 0; i + 1 < chain.length; i++) segments.push({ from: chain[i]!, to: chain[i + 1]! });
    chains.set(pairKey(s.from, s.to), chain);
  }

  orderColumns(columns, segments, opts.sweeps);

  // Coordinates.
  const heightOf = (item: Item) => (item.node === null ? opts.laneHeight : opts.nodeHeight);
  const columnHeight = (col: Item[]) => col.reduce((sum, item) => sum + heightOf(item), 0) + Math.max(0, col.length - 1) * opts.rowGap;
  const innerHeight = Math.max(...columns.map(columnHeight));
  const centre = new Map<string, { x: number; y: number }>();
  const nodes: NodePosition[] = [];
  columns.forEach((col, l) => {
    const x = opts.padding + l * (opts.nodeWidth + opts.columnGap);
    let y = opts.padding + (innerHeight - columnHeight(col)) / 2;
    let order = 0;
    for (const item of col) {
      const h = heightOf(item);
      centre.set(item.key, { x, y: y + h / 2 });
      if (item.node !== null) nodes.push({ id: item.node, layer: l, order: order++, x, y, width: opts.nodeWidth, height: h });
      y += h + opts.rowGap;
    }
  });

  const routed: EdgePath[] = [];
  for (const e of usable) {
    const isBack = back.has(pairKey(e.from, e.to));
    const chain = isBack ? chains.get(pairKey(e.to, e.from)) : chains.get(pairKey(e.from, e.to));
    if (!chain) continue;
    const points = chain.map((key) => centre.get(key)!);
    routed.push({ index: e.index, from: e.from, to: e.to, ...(e.when !== undefined ? { when: e.when } : {}), path: pathThrough(points, opts.nodeWidth, isBack), back: isBack });
  }

  return {
    nodes,
    edges: routed,
    layers: columns.map((col) => col.filter((item) => item.node !== null).map((item) => item.node!)),
    width: round(2 * opts.padding + layerCount * opts.nodeWidth + (layerCount - 1) * opts.columnGap),
    height: round(2 * opts.padding + innerHeight),
  };
}

/** Number of crossing segments between adjacent columns for this ordering. */
export function countCrossings(columns: readonly (readonly { key: string }[])[], segments: readonly Segment[]): number {
  const pos = positions(columns);
  const byColumn = new Map<number, [number, number][]>();
  for (const s of segments) {
    const a = pos.get(s.from);
    const b = pos.get(s.to);
    if (!a || !b) continue;
    const list = byColumn.get(a.column) ?? [];
    list.push([a.index, b.index]);
    byColumn.set(a.column, list);
  }
  let crossings = 0;
  for (const list of byColumn.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [u1, v1] = list[i]!;
        const [u2, v2] = list[j]!;
        if ((u1 - u2) * (v1 - v2) < 0) crossings++;
      }
    }
  }
  return crossings;
}

function orderColumns(columns: Item[][], segments: Segment[], sweeps: number) {
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const s of segments) {
    (preds.get(s.to) ?? preds.set(s.to, []).get(s.to)!).push(s.from);
    (succs.get(s.from) ?? succs.set(s.from, []).get(s.from)!).push(s.to);
  }
  let best = columns.map((col) => [...col]);
  let bestCrossings = countCrossings(best, segments);
  const current = columns.map((col) => [...col]);
  for (let sweep = 0; sweep < sweeps && bestCrossings > 0; sweep++) {
    for (let l = 1; l < current.length; l++) reorder(current, l, l - 1, preds);
    for (let l = current.length - 2; l >= 0; l--) reorder(current, l, l + 1, succs);
    const crossings = countCrossings(current, segments);
    if (crossings < bestCrossings) {
      bestCrossings = crossings;
      best = current.map((col) => [...col]);
    }
  }
  best.forEach((col, l) => (columns[l] = col));
}

/** Sorts column `l` by the mean index of each item's neighbours in column `ref`; items without any keep their index. */
function reorder(columns: Item[][], l: number, ref: number, neighbours: Map<string, string[]>) {
  const refIndex = new Map(columns[ref]!.map((item, i) => [item.key, i]));
  const keyed = columns[l]!.map((item, i) => {
    const idx = (neighbours.get(item.key) ?? []).map((k) => refIndex.get(k)).filter((v): v is number => v !== undefined);
    const bary = idx.length > 0 ? idx.reduce((a, b) => a + b, 0) / idx.length : i;
    return { item, bary, i };
  });
  keyed.sort((a, b) => a.bary - b.bary || a.i - b.i);
  columns[l] = keyed.map((k) => k.item);
}

function positions(columns: readonly (readonly { key: string }[])[]) {
  const pos = new Map<string, { column: number; index: number }>();
  columns.forEach((col, column) => col.forEach((item, index) => pos.set(item.key, { column, index })));
  return pos;
}

/**
 * A smooth path through the centres of the items an edge crosses: from the right side of the
 * first to the left side of the last, straight across each virtual point's column.
 */
function pathThrough(points: { x: number; y: number }[], width: number, reversed: boolean): string {
  const pts: { x: number; y: number }[] = [];
  points.forEach((p, i) => {
    if (i > 0) pts.push({ x: p.x, y: p.y });
    if (i < points.length - 1) pts.push({ x: p.x + width, y: p.y });
  });
  if (reversed) pts.reverse();
  let d = `M${round(pts[0]!.x)},${round(pts[0]!.y)}`;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (a.y === b.y) {
      d += ` L${round(b.x)},${round(b.y)}`;
      continue;
    }
    const dx = (b.x - a.x) / 2;
    d += ` C${round(a.x + dx)},${round(a.y)} ${round(b.x - dx)},${round(b.y)} ${round(b.x)},${round(b.y)}`;
  }
  return d;
}

const pairKey = (from: string, to: string) => `${from}\u0000${to}`;
const round = (n: number) => Math.round(n * 10) / 10;
