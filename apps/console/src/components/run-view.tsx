'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert } from './alert';
import { api, ApiError, errorMessage } from './api';
import { DataPlaneNotice } from './data-plane-notice';
import { NodeCard, nodeCardId } from './node-card';
import { fetchRunData, type RunDataProblem } from './run-data';
import { RunGraph, graphDocument } from './run-graph';
import { RunHeader } from './run-header';
import { RunPayloads } from './run-payloads';
import { RunSummary } from './run-summary';
import { isTerminal, type Run, type RunData, type Workflow } from './types';
import { useLiveLogs } from './use-live-logs';
import { usePolling } from './use-polling';

const POLL_MS = 1500;
/** While the live-logs stream is open it says when results change; payloads are re-read at least this often anyway. */
const DATA_REFRESH_WHILE_STREAMING_MS = 6000;
/** Stream events that ask for the payloads again are coalesced this long. */
const REFRESH_DEBOUNCE_MS = 150;
/** After the run is terminal, how many more times to read payloads the data plane has not finalised yet. */
const SETTLE_TRIES = 5;
/** How long a node card stays highlighted after its box in the graph is clicked. */
const HIGHLIGHT_MS = 2500;

/**
 * A run, live until it is terminal: metadata from the control plane, payloads fetched by
 * the browser from the run's data plane with the signed link each poll returns, and the log
 * lines of running nodes streamed from that data plane as they are written (polling alone
 * when the stream is unavailable).
 */
export function RunView({ runId, canCancel = true }: { runId: string; canCancel?: boolean }) {
  const [run, setRun] = useState<Run | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const [data, setData] = useState<RunData | null>(null);
  const [dataProblem, setDataProblem] = useState<RunDataProblem | null>(null);
  const [workflowName, setWorkflowName] = useState<string>();
  const [workflowDocument, setWorkflowDocument] = useState<unknown>(null);
  const [graphProblem, setGraphProblem] = useState<string | null>(null);
  const [highlighted, setHighlighted] = useState<{ nodeId: string; at: number } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [live, setLive] = useState(true);
  const settleTries = useRef(0);
  const nameRequested = useRef(false);
  const [dataLink, setDataLink] = useState<string | null>(null);
  const dataLinkRef = useRef<string | null>(null);
  const lastDataAt = useRef(0);
  const streamOpen = useRef(false);

  /** Reads the payloads now (between polls), when the stream says a node started or finished. */
  const refresh = useRef<{ timer?: ReturnType<typeof setTimeout>; controller?: AbortController }>({});
  const refreshData = useCallback(() => {
    const r = refresh.current;
    if (r.timer) return;
    r.timer = setTimeout(async () => {
      r.timer = undefined;
      const link = dataLinkRef.current;
      if (!link) return;
      r.controller?.abort();
      const controller = new AbortController();
      r.controller = controller;
      try {
        const result = await fetchRunData(link, controller.signal);
        if (controller.signal.aborted) return;
        // Problems are left to the poll, which also decides whether the page is still live.
        if ('data' in result) {
          setData(result.data);
          setDataProblem(null);
          lastDataAt.current = Date.now();
        }
      } catch {
        // Aborted by a newer refresh or the page going away.
      }
    }, REFRESH_DEBOUNCE_MS);
  }, []);
  useEffect(() => {
    const r = refresh.current;
    return () => {
      clearTimeout(r.timer);
      r.controller?.abort();
    };
  }, []);

  usePolling(
    async (signal) => {
      let next: Run;
      try {
        next = await api<Run>(`/api/v1/runs/${encodeURIComponent(runId)}`, { signal });
      } catch (err) {
        if (signal.aborted) return false;
        setRunError(errorMessage(err));
        // A run that does not exist (or is another tenant's) will not appear: stop asking.
        if (err instanceof ApiError && err.status === 404) return false;
        return true;
      }
      setRun(next);
      setRunError(null);
      setNow(Date.now());
      if (!nameRequested.current) {
        nameRequested.current = true;
        // The version this run executes: its document is what the graph draws.
        void api<Workflow>(`/api/v1/workflows/${encodeURIComponent(next.workflowId)}?version=${next.workflowVersion}`)
          .then((w) => {
            setWorkflowName(w.name);
            setWorkflowDocument(w.document);
          })
          .catch((err: unknown) => {
            setWorkflowName(next.workflowId);
            setGraphProblem(errorMessage(err));
          });
      }

      let settled = false;
      dataLinkRef.current = next.links.data ?? null;
      setDataLink(next.links.data ?? null);
      // While the stream is open it reports what changes: most reads of unchanged payloads are skipped.
      const fresh = streamOpen.current && !isTerminal(next.status) && Date.now() - lastDataAt.current < DATA_REFRESH_WHILE_STREAMING_MS;
      if (next.links.data && !fresh) {
        const result = await fetchRunData(next.links.data, signal);
        if (signal.aborted) return false;
        if ('data' in result) {
          setData(result.data);
          setDataProblem(null);
          lastDataAt.current = Date.now();
          settled = isTerminal(result.data.status);
        } else {
          setDataProblem(result.problem);
        }
      } else if (!next.links.data) {
        setDataProblem({ kind: 'no-link' });
        settled = true;
      }

      // A failed run with messages in the Trash may reopen when one is approved: keep watching.
      if (!isTerminal(next.status) || next.parked > 0) {
        settleTries.current = 0;
        return true;
      }
      // Terminal: one more read of the payloads, retried briefly if the data plane lags.
      if (settled || ++settleTries.current >= SETTLE_TRIES) {
        setLive(false);
        return false;
      }
      return true;
    },
    POLL_MS,
    { key: runId },
  );

  // Stream while the run is live and its data plane answers this browser.
  const streaming = live && !!run && !isTerminal(run.status) && !!data && !dataProblem;
  const { logs: liveLogs, state: streamState } = useLiveLogs({ runId, link: dataLink, enabled: streaming, onChange: refreshData });
  useEffect(() => {
    streamOpen.current = streamState === 'open';
  }, [streamState]);

  const graph = useMemo(() => (workflowDocument ? graphDocument(workflowDocument) : null), [workflowDocument]);

  const selectNode = useCallback((nodeId: string) => {
    const card = document.getElementById(nodeCardId(nodeId));
    if (card) {
      const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      card.scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'start' });
      card.focus({ preventScroll: true });
    }
    setHighlighted({ nodeId, at: Date.now() });
  }, []);

  useEffect(() => {
    if (!highlighted) return;
    const timer = setTimeout(() => setHighlighted(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlighted]);

  if (!run) {
    return runError ? <Alert>{runError}</Alert> : <p className="muted">Loading run…</p>;
  }

  const executionsOf = (nodeId: string) => (data ? data.nodes.filter((n) => n.nodeId === nodeId) : null);
  const payloadNote = dataProblem ? 'Payloads unavailable (see above).' : null;

  return (
    <div className="stack" data-testid="run-view" data-live={live ? 'true' : 'false'} data-log-stream={streamState}>
      <RunHeader run={run} workflowName={workflowName} canCancel={canCancel} onCancelled={(r) => setRun((prev) => ({ ...r, links: prev?.links ?? r.links }))} />
      {runError && <Alert kind="warning">Could not refresh this run: {runError}</Alert>}
      <RunSummary run={run} now={now} />
      {run.error && !data?.error && (
        <Alert testId="run-error-class">
          The run failed with <span className="mono">{run.error.class}</span>
          {run.error.nodeId && (
            <>
              {' '}
              in node <span className="mono">{run.error.nodeId}</span>
            </>
          )}
          .
        </Alert>
      )}
      {dataProblem && <DataPlaneNotice problem={dataProblem} run={run} />}
      {data ? <RunPayloads run={run} data={data} /> : !dataProblem && <p className="muted">Loading payloads from the data plane…</p>}
      {graph && graph.nodes.length > 0 ? (
        <section aria-labelledby="graph-title" className="stack">
          <h2 id="graph-title">Graph</h2>
          <RunGraph document={graph} runNodes={run.nodes} onSelect={selectNode} />
        </section>
      ) : (
        graphProblem && <p className="muted small">Graph unavailable: {graphProblem}</p>
      )}
      <section aria-labelledby="nodes-title" className="stack">
        <h2 id="nodes-title">Nodes</h2>
        {run.nodes.map((node) => (
          <NodeCard key={node.id} node={node} highlighted={highlighted?.nodeId === node.id} executions={executionsOf(node.id)} liveLogs={liveLogs} payloadNote={payloadNote} now={now} />
        ))}
      </section>
    </div>
  );
}
