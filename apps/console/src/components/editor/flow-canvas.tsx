'use client';

import {
  Background,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useMemo, useState, type Dispatch, type SetStateAction } from 'react';
import { layoutGraph } from '../graph-layout';
import type { DocEdit, FlowModel } from './document-model';
import type { EditorIssue } from './validation';

/** What the side panel edits. */
export type Selection = { kind: 'node'; index: number } | { kind: 'edge'; index: number } | null;

export const NODE_WIDTH = 184;
export const NODE_HEIGHT = 72;

type CardData = { id: string; type: string; name?: string; issues: string[] };
type CardNode = Node<CardData, 'workflow'>;

/** A node on the canvas: name, kind, and its first problem when it has any. */
function NodeCard({ data, selected }: NodeProps<CardNode>) {
  const invalid = data.issues.length > 0;
  return (
    <div
      className={`editor-node${invalid ? ' editor-node-invalid' : ''}${selected ? ' editor-node-selected' : ''}`}
      data-testid="editor-node"
      data-node-id={data.id}
      data-invalid={invalid ? 'true' : 'false'}
      title={invalid ? data.issues.join('\n') : undefined}
    >
      <Handle type="target" position={Position.Left} className="editor-handle" />
      <div className="editor-node-title">{data.name ?? (data.id || '(no id)')}</div>
      <div className="editor-node-type mono">{data.type || '(no type)'}</div>
      {invalid && (
        <div className="editor-node-issue" data-testid="editor-node-issue">
          {data.issues[0]}
          {data.issues.length > 1 ? ` (+${data.issues.length - 1})` : ''}
        </div>
      )}
      <Handle type="source" position={Position.Right} className="editor-handle" />
    </div>
  );
}

const nodeTypes = { workflow: NodeCard };

const rfNodeId = (index: number) => `n${index}`;
const rfEdgeId = (index: number) => `e${index}`;
const indexOf = (rfId: string) => Number(rfId.slice(1));

/** Refits the view when nodes come or go, so a new node is never off screen. */
function FitOnChange({ count }: { count: number }) {
  const { fitView } = useReactFlow();
  useEffect(() => {
    const timer = setTimeout(() => void fitView({ padding: 0.2, maxZoom: 1, duration: 0 }), 50);
    return () => clearTimeout(timer);
  }, [count, fitView]);
  return null;
}

export interface FlowCanvasProps {
  model: FlowModel;
  nodeIssues: ReadonlyMap<number, EditorIssue[]>;
  edgeIssues: ReadonlyMap<number, EditorIssue[]>;
  selection: Selection;
  setSelection: Dispatch<SetStateAction<Selection>>;
  onEdit: (edit: DocEdit) => void;
}

/**
 * The workflow graph in React Flow, laid out with the run page's layout (graph-layout.ts),
 * so a workflow looks the same where it is edited and where it runs. Nodes are not dragged:
 * positions are not part of the document. Connect by dragging from a node's right handle to
 * another's left one; Delete or Backspace removes what is selected.
 */
function Canvas({ model, nodeIssues, edgeIssues, selection, setSelection, onEdit }: FlowCanvasProps) {
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});

  const firstIndex = useMemo(() => {
    const map = new Map<string, number>();
    for (const n of model.nodes) if (!map.has(n.id)) map.set(n.id, n.index);
    return map;
  }, [model.nodes]);

  const layout = useMemo(() => {
    const ids = model.nodes.map((n) => rfNodeId(n.index));
    const edges = model.edges.flatMap((e) => {
      const from = firstIndex.get(e.from);
      const to = firstIndex.get(e.to);
      return from === undefined || to === undefined ? [] : [{ from: rfNodeId(from), to: rfNodeId(to) }];
    });
    return new Map(layoutGraph(ids, edges, { nodeWidth: NODE_WIDTH, nodeHeight: NODE_HEIGHT, columnGap: 72, rowGap: 24 }).nodes.map((p) => [p.id, p]));
  }, [model, firstIndex]);

  const nodes: CardNode[] = model.nodes.map((n) => {
    const id = rfNodeId(n.index);
    const issues = (nodeIssues.get(n.index) ?? []).map((i) => i.message);
    const pos = layout.get(id);
    return {
      id,
      type: 'workflow',
      position: { x: pos?.x ?? 0, y: pos?.y ?? 0 },
      data: { id: n.id, type: n.type, ...(n.name ? { name: n.name } : {}), issues },
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      ...(measured[id] ? { measured: measured[id] } : {}),
      selected: selection?.kind === 'node' && selection.index === n.index,
      draggable: false,
      ariaLabel: `${n.type || 'node'} ${n.id || '(no id)'}${issues.length > 0 ? `, ${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}: ${issues.join('; ')}` : ''}`,
    };
  });

  const edges: Edge[] = model.edges.flatMap((e) => {
    const from = firstIndex.get(e.from);
    const to = firstIndex.get(e.to);
    if (from === undefined || to === undefined) return [];
    const invalid = (edgeIssues.get(e.index) ?? []).length > 0;
    return [
      {
        id: rfEdgeId(e.index),
        source: rfNodeId(from),
        target: rfNodeId(to),
        ...(e.when !== undefined ? { label: `when ${e.when}` } : {}),
        markerEnd: { type: MarkerType.ArrowClosed },
        selected: selection?.kind === 'edge' && selection.index === e.index,
        className: invalid ? 'editor-edge-invalid' : undefined,
        ariaLabel: `Edge from ${e.from} to ${e.to}${e.when !== undefined ? ` when ${e.when}` : ''}`,
        data: { from: e.from, to: e.to },
      },
    ];
  });

  // Selection is the editor's state; React Flow only reports clicks and key presses.
  // Updaters keep a selection made in the same event (node → edge) from being undone.
  const onNodesChange = useCallback(
    (changes: NodeChange<CardNode>[]) => {
      const sizes: Record<string, { width: number; height: number }> = {};
      for (const c of changes) {
        if (c.type === 'dimensions' && c.dimensions) sizes[c.id] = c.dimensions;
        if (c.type !== 'select') continue;
        if (c.selected) setSelection({ kind: 'node', index: indexOf(c.id) });
        else setSelection((cur) => (cur?.kind === 'node' && rfNodeId(cur.index) === c.id ? null : cur));
      }
      if (Object.keys(sizes).length > 0) setMeasured((m) => ({ ...m, ...sizes }));
    },
    [setSelection],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      for (const c of changes) {
        if (c.type !== 'select') continue;
        if (c.selected) setSelection({ kind: 'edge', index: indexOf(c.id) });
        else setSelection((cur) => (cur?.kind === 'edge' && rfEdgeId(cur.index) === c.id ? null : cur));
      }
    },
    [setSelection],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const from = model.nodes.find((n) => rfNodeId(n.index) === c.source);
      const to = model.nodes.find((n) => rfNodeId(n.index) === c.target);
      if (from && to && from.id && to.id) onEdit({ op: 'addEdge', from: from.id, to: to.id });
    },
    [model.nodes, onEdit],
  );

  const onDelete = useCallback(
    ({ nodes: gone, edges: cut }: { nodes: CardNode[]; edges: Edge[] }) => {
      if (gone.length === 0 && cut.length === 0) return;
      onEdit({ op: 'remove', nodes: gone.map((n) => indexOf(n.id)), edges: cut.map((e) => indexOf(e.id)) });
      setSelection(null);
    },
    [onEdit, setSelection],
  );

  return (
    <ReactFlow<CardNode, Edge>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onConnect={onConnect}
      onDelete={onDelete}
      isValidConnection={(c) => c.source !== c.target}
      nodesDraggable={false}
      deleteKeyCode={['Delete', 'Backspace']}
      multiSelectionKeyCode={null}
      selectionKeyCode={null}
      fitView
      fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
      minZoom={0.3}
      maxZoom={1.5}
      proOptions={{ hideAttribution: true }}
      aria-label="Workflow graph editor"
    >
      <Background gap={16} size={1} />
      <Controls showInteractive={false} />
      <FitOnChange count={model.nodes.length} />
    </ReactFlow>
  );
}

export function FlowCanvas(props: FlowCanvasProps) {
  return (
    <div className="editor-canvas" data-testid="editor-canvas">
      <ReactFlowProvider>
        <Canvas {...props} />
      </ReactFlowProvider>
    </div>
  );
}
