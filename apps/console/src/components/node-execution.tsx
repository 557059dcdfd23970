import Link from 'next/link';
import { ErrorDetails } from './error-details';
import { JsonBlock } from './json-block';
import { LogList } from './log-list';
import type { NodeExecutionData } from './types';
import type { LiveMessageLogs } from './use-live-logs';

/**
 * One message a node consumed: what went in, what came out, what it logged. While it runs,
 * its logs are the lines streamed so far (`live`); once its result is recorded, the result's.
 */
export function NodeExecution({ execution, live }: { execution: NodeExecutionData; live?: LiveMessageLogs }) {
  const running = execution.status === 'running' || execution.status === 'pending';
  const streaming = running && live !== undefined && live.attempt >= execution.attempts;
  return (
    <div className="execution" data-testid="node-execution" data-message-id={execution.messageId}>
      <div className="grid-2">
        <div>
          <h4>Input</h4>
          <JsonBlock value={execution.input} testId="node-input" label={`Input of node ${execution.nodeId}`} />
        </div>
        <div>
          <h4>Output</h4>
          <JsonBlock
            value={execution.output}
            testId="node-output"
            label={`Output of node ${execution.nodeId}`}
            empty={execution.status === 'failed' ? 'No output: the node failed.' : execution.status === 'succeeded' ? 'No output.' : 'No output yet.'}
          />
        </div>
      </div>
      {execution.error && (
        <>
          <h4>Error</h4>
          <ErrorDetails error={execution.error} testId="node-error" />
          {execution.trashItemId && (
            <p className="small">
              This message went to the <Link href="/trash">Trash</Link> after {execution.attempts}{' '}
              {execution.attempts === 1 ? 'attempt' : 'attempts'}.
            </p>
          )}
        </>
      )}
      {execution.history && execution.history.length > 0 && (
        <p className="muted small" data-testid="node-history">
          Failed attempts: {execution.history.map((h) => `${h.attempt}: ${h.error.class}`).join('; ')}.
        </p>
      )}
      <h4>Logs</h4>
      {streaming ? <LogList logs={live.lines} live /> : <LogList logs={execution.logs} />}
    </div>
  );
}
