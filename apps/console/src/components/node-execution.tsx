import Link from 'next/link';
import { ErrorDetails } from './error-details';
import { JsonBlock } from './json-block';
import { LogList } from './log-list';
import type { NodeExecutionData } from './types';

/** One message a node consumed: what went in, what came out, what it logged. */
export function NodeExecution({ execution }: { execution: NodeExecutionData }) {
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
      <LogList logs={execution.logs} />
    </div>
  );
}
