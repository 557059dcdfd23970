import { describe, expect, it } from 'vitest';
import { countCrossings, layoutGraph, type GraphLayout, type LayoutEdgeInput } from '../src/components/graph-layout.ts';

const layerOf = (layout: GraphLayout) => Object.fromEntries(layout.nodes.map((n) => [n.id, n.layer]));

function expectNoOverlaps(layout: GraphLayout) {
  const boxes = layout.nodes;
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
    }
  }
  for (const n of boxes) {
    expect(n.x).toBeGreaterThanOrEqual(0);
    expect(n.y).toBeGreaterThanOrEqual(0);
    expect(n.x + n.width).toBeLessThanOrEqual(layout.width);
    expect(n.y + n.height).toBeLessThanOrEqual(layout.height);
  }
}

function expectEdgesForward(layout: GraphLayout, edges: LayoutEdgeInput[]) {
  const layers = layerOf(layout);
  for (const e of edges) expect(layers[e.to]!, `${e.from} -> ${e.to}`).toBeGreaterThan(layers[e.from]!);
}

describe('layoutGraph', () => {
  it('puts a chain in consecutive layers, left to right', () => {
    const edges = [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
    ];
    const layout = layoutGraph(['a', 'b', 'c'], edges);
    expect(layout.layers).toEqual([['a'], ['b'], ['c']]);
    const [a, b, c] = layout.nodes;
    expect(a!.x).toBeLessThan(b!.x);
    expect(b!.x).toBeLessThan(c!.x);
    expect(layout.edges.map((e) => [e.from, e.to])).toEqual([
      ['a', 'b'],
      ['b', 'c'],
    ]);
    for (const e of layout.edges) expect(e.path).toMatch(/^M[\d.]+,[\d.]+/);
    expectNoOverlaps(layout);
  });

  it('uses the longest path from the entry nodes (a diamond with a shortcut)', () => {
    const edges = [
      { from: 'start', to: 'left' },
      { from: 'start', to: 'right' },
      { from: 'right', to: 'deep' },
      { from: 'left', to: 'end' },
      { from: 'deep', to: 'end' },
      { from: 'start', to: 'end', when: 'x > 1' },
    ];
    const layout = layoutGraph(['start', 'left', 'right', 'deep', 'end'], edges);
    expect(layerOf(layout)).toEqual({ start: 0, left: 1, right: 1, deep: 2, end: 3 });
    expectEdgesForward(layout, edges);
    expectNoOverlaps(layout);
    expect(layout.edges.find((e) => e.from === 'start' && e.to === 'end')?.when).toBe('x > 1');
  });

  it('lays out a diamond with the branches side by side in one column', () => {
    const edges = [
      { from: 'a', to: 'b' },
      { from: 'a', to: 'c' },
      { from: 'b', to: 'd' },
      { from: 'c', to: 'd' },
    ];
    const layout = layoutGraph(['a', 'b', 'c', 'd'], edges);
    expect(layout.layers).toEqual([['a'], ['b', 'c'], ['d']]);
    const pos = Object.fromEntries(layout.nodes.map((n) => [n.id, n]));
    expect(pos.b!.x).toBe(pos.c!.x);
    expect(pos.b!.y).toBeLessThan(pos.c!.y);
    expectNoOverlaps(layout);
  });

  it('handles a fan-out / fan-in', () => {
    const middle = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const edges = [...middle.map((m) => ({ from: 'split', to: m })), ...middle.map((m) => ({ from: m, to: 'join' }))];
    const layout = layoutGraph(['split', ...middle, 'join'], edges);
    expect(layout.layers).toEqual([['split'], middle, ['join']]);
    expect(layout.edges).toHaveLength(24);
    expectNoOverlaps(layout);
    // The single nodes sit in the vertical middle of the fan.
    const pos = Object.fromEntries(layout.nodes.map((n) => [n.id, n]));
    expect(pos.split!.y + pos.split!.height / 2).toBeCloseTo(layout.height / 2, 0);
    expect(pos.join!.y).toBe(pos.split!.y);
  });

  it('reduces crossings with the barycentre pass', () => {
    // Document order would cross every edge: a1->b2, a2->b1.
    const edges = [
      { from: 'a1', to: 'b2' },
      { from: 'a2', to: 'b1' },
      { from: 'b1', to: 'c1' },
      { from: 'b2', to: 'c2' },
    ];
    const layout = layoutGraph(['a1', 'a2', 'b1', 'b2', 'c1', 'c2'], edges);
    const columns = layout.layers.map((col) => col.map((id) => ({ key: id })));
    expect(countCrossings(columns, edges)).toBe(0);
    expect(countCrossings([[{ key: 'a1' }, { key: 'a2' }], [{ key: 'b1' }, { key: 'b2' }]], edges)).toBe(1);
    expectNoOverlaps(layout);
  });

  it('is deterministic', () => {
    const ids = Array.from({ length: 60 }, (_, i) => `n${i}`);
    const edges = ids.slice(1).flatMap((id, i) => [{ from: ids[Math.floor(i / 3)]!, to: id }, ...(i % 5 === 0 ? [{ from: ids[Math.floor(i / 7)]!, to: id, when: '$.ok' }] : [])]);
    const first = layoutGraph(ids, edges);
    const second = layoutGraph([...ids], edges.map((e) => ({ ...e })));
    expect(second).toEqual(first);
    expect(first.nodes).toHaveLength(60);
    expectEdgesForward(first, edges);
    expectNoOverlaps(first);
  });

  it('ignores edges with unknown ends, self-loops and repeated node ids', () => {
    const layout = layoutGraph(
      ['a', 'b', 'a'],
      [
        { from: 'a', to: 'ghost' },
        { from: 'ghost', to: 'b' },
        { from: 'a', to: 'a' },
        { from: 'a', to: 'b' },
      ],
    );
    expect(layout.layers).toEqual([['a'], ['b']]);
    expect(layout.edges.map((e) => [e.index, e.from, e.to])).toEqual([[3, 'a', 'b']]);
    expectNoOverlaps(layout);
  });

  it('keeps unconnected nodes in the first layer and tolerates an empty graph', () => {
    expect(layoutGraph(['x', 'y'], []).layers).toEqual([['x', 'y']]);
    expect(layoutGraph([], [{ from: 'a', to: 'b' }])).toEqual({ nodes: [], edges: [], layers: [], width: 0, height: 0 });
  });

  it('routes an edge spanning layers between the boxes it passes', () => {
    const edges = [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'a', to: 'c' },
    ];
    const layout = layoutGraph(['a', 'b', 'c'], edges);
    expect(layerOf(layout)).toEqual({ a: 0, b: 1, c: 2 });
    const b = layout.nodes.find((n) => n.id === 'b')!;
    const long = layout.edges.find((e) => e.from === 'a' && e.to === 'c')!;
    // Its straight run across column 1 is above or below b, not through it.
    const run = long.path.match(/L([\d.]+),([\d.]+)/);
    expect(run).not.toBeNull();
    const y = Number(run![2]);
    expect(y < b.y || y > b.y + b.height).toBe(true);
  });

  it('survives a cycle, flagging the edge that closes it', () => {
    const edges = [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'a' },
    ];
    const layout = layoutGraph(['a', 'b', 'c'], edges);
    expect(layout.layers).toEqual([['a'], ['b'], ['c']]);
    expect(layout.edges.map((e) => e.back)).toEqual([false, false, true]);
    expectNoOverlaps(layout);
  });
});
