import { spanDuration } from './format';
import { NodeExecution } from './node-execution';
import { StatusBadge } from './status-badge';
import type { NodeExecutionData, RunNode } from './types';
import type { LiveMessageLogs } from './use-live-logs';

/** The DOM id of a node's card, so the run graph can scroll to it. */
export const nodeCardId = (nodeId: string) => `node-card-${nodeId}`;

/**
 * A workflow node in this run: its status from the control plane and, when the data plane
 * answered, each message it processed (usually one; more after a split), with the lines a
 * running one logs so far (`liveLogs`, by message id).
 */
export function NodeCard({
  node,
  executions,
  liveLogs = {},
  payloadNote,
  now,
  highlighted = false,
}: {
  node: RunNode;
  executions: NodeExecutionData[] | null;
  liveLogs?: Record<string, LiveMessageLogs>;
  payloadNote: string | null;
  now: number;
  highlighted?: boolean;
}) {
  return (
    <section
      id={nodeCardId(node.id)}
      tabIndex={-1}
      className={highlighted ? 'card node node-highlighted' : 'card node'}
      data-testid={`node-${node.id}`}
      data-highlighted={highlighted ? 'true' : undefined}
      aria-labelledby={`node-title-${node.id}`}
    >
      <header className="card-header">
        <h3 id={`node-title-${node.id}`} className="mono">
          {node.id}
        </h3>
        <StatusBadge status={node.status} testId="node-status" />
        <span className="muted small">{spanDuration(node.startedAt, node.finishedAt, now)}</span>
        {node.attempts > 1 && (
          <span className="pill small" data-testid="node-attempts" title="Tried again after failing, per the node's retry policy">
            {node.attempts} attempts
          </span>
        )}
        {node.errorClass && <span className="error-class small">{node.errorClass}</span>}
      </header>
      {executions === null ? (
        <p className="muted small">{payloadNote ?? 'Loading payloads…'}</p>
      ) : executions.length === 0 ? (
        <p className="muted small">{node.status === 'pending' ? 'Not reached yet.' : 'No messages recorded on the data plane.'}</p>
      ) : (
        executions.map((execution, i) => (
          <div key={execution.messageId}>
            {executions.length > 1 && (
              <p className="small muted">
                Message {i + 1} of {executions.length}
              </p>
            )}
            <NodeExecution execution={execution} live={liveLogs[execution.messageId]} />
          </div>
        ))
      )}
    </section>
  );
}
