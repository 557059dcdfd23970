'use client';

import { useId, useMemo, type KeyboardEvent } from 'react';
import { layoutGraph, type LayoutEdgeInput } from './graph-layout';
import type { NodeStatus, RunNode } from './types';

/** A node of the workflow document, as far as the graph needs it. */
export interface GraphNodeSpec {
  id: string;
  type: string;
  name?: string;
}

export interface GraphDocument {
  nodes: GraphNodeSpec[];
  edges: LayoutEdgeInput[];
}

const NODE_WIDTH = 176;
const NODE_HEIGHT = 58;
const LABEL_CHARS = 22;
const STATUS_ORDER: readonly NodeStatus[] = ['running', 'failed', 'cancelled', 'succeeded', 'pending'];

/** Reads the nodes and edges out of a workflow document (an unchecked JSON object), skipping anything malformed. */
export function graphDocument(document: unknown): GraphDocument {
  const doc = isRecord(document) ? document : {};
  const nodes: GraphNodeSpec[] = [];
  for (const n of Array.isArray(doc.nodes) ? doc.nodes : []) {
    if (!isRecord(n) || typeof n.id !== 'string') continue;
    nodes.push({ id: n.id, type: typeof n.type === 'string' ? n.type : '?', ...(typeof n.name === 'string' && n.name ? { name: n.name } : {}) });
  }
  const edges: LayoutEdgeInput[] = [];
  for (const e of Array.isArray(doc.edges) ? doc.edges : []) {
    if (!isRecord(e) || typeof e.from !== 'string' || typeof e.to !== 'string') continue;
    edges.push({ from: e.from, to: e.to, ...(typeof e.when === 'string' ? { when: e.when } : {}) });
  }
  return { nodes, edges };
}

/**
 * The run's workflow as a left-to-right graph, each box coloured by its node's live status.
 * The layout depends only on the document, so polls recolour the boxes without moving them.
 */
export function RunGraph({ document, runNodes, onSelect }: { document: GraphDocument; runNodes: readonly RunNode[]; onSelect: (nodeId: string) => void }) {
  const markerId = `run-graph-arrow-${useId().replace(/[^A-Za-z0-9_-]/g, '')}`;
  const layout = useMemo(() => layoutGraph(document.nodes.map((n) => n.id), document.edges, { nodeWidth: NODE_WIDTH, nodeHeight: NODE_HEIGHT }), [document]);
  const specs = useMemo(() => new Map(document.nodes.map((n) => [n.id, n])), [document]);
  const live = new Map(runNodes.map((n) => [n.id, n]));
  const statusOf = (id: string): NodeStatus => live.get(id)?.status ?? 'pending';

  if (layout.nodes.length === 0) return null;

  const counts = new Map<NodeStatus, number>();
  for (const n of layout.nodes) counts.set(statusOf(n.id), (counts.get(statusOf(n.id)) ?? 0) + 1);
  const summary = STATUS_ORDER.filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(', ');
  const total = layout.nodes.length;
  const label = `Workflow graph, ${total} ${total === 1 ? 'node' : 'nodes'}: ${summary}`;

  const activate = (event: KeyboardEvent, id: string) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    onSelect(id);
  };

  return (
    <div className="run-graph">
      <svg
        role="group"
        aria-label={label}
        data-testid="run-graph"
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
      >
        <defs>
          <marker id={markerId} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="run-graph-arrow" />
          </marker>
        </defs>
        <g className="run-graph-edges">
          {layout.edges.map((e) => (
            <g key={e.index} className={e.when !== undefined ? 'run-graph-edge run-graph-edge-conditional' : 'run-graph-edge'} data-from={e.from} data-to={e.to}>
              {e.when !== undefined && <title>{`${e.from} → ${e.to} when ${e.when}`}</title>}
              <path d={e.path} className="run-graph-edge-line" markerEnd={`url(#${markerId})`} />
              {/* A wide transparent twin so the tooltip is easy to hover. */}
              {e.when !== undefined && <path d={e.path} className="run-graph-edge-hit" />}
            </g>
          ))}
        </g>
        {layout.nodes.map((pos) => {
          const spec = specs.get(pos.id);
          const status = statusOf(pos.id);
          const attempts = live.get(pos.id)?.attempts ?? 0;
          const name = spec?.name ?? pos.id;
          const detail = attempts > 1 ? `${status} · ${attempts} attempts` : status;
          return (
            <g
              key={pos.id}
              className={`run-graph-node run-graph-node-${status}`}
              data-testid="graph-node"
              data-node-id={pos.id}
              data-status={status}
              transform={`translate(${pos.x},${pos.y})`}
              role="link"
              tabIndex={0}
              aria-label={`${name}: ${status}`}
              onClick={() => onSelect(pos.id)}
              onKeyDown={(event) => activate(event, pos.id)}
            >
              <title>{`${pos.id}${spec?.name ? ` (${spec.name})` : ''}, ${spec?.type ?? 'node'}: ${detail}`}</title>
              <rect width={pos.width} height={pos.height} rx={8} ry={8} />
              <text x={10} y={19} className="run-graph-label">
                {truncate(name, LABEL_CHARS)}
              </text>
              <text x={10} y={35} className="run-graph-type">
                {truncate(spec?.type ?? '', LABEL_CHARS + 4)}
              </text>
              <text x={10} y={50} className="run-graph-status">
                {detail}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
