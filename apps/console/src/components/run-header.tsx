import Link from 'next/link';
import { CancelRunButton } from './cancel-run-button';
import { StatusBadge } from './status-badge';
import { isTerminal, type Run } from './types';

export function RunHeader({
  run,
  workflowName,
  canCancel = true,
  onCancelled,
}: {
  run: Run;
  workflowName: string | undefined;
  canCancel?: boolean;
  onCancelled: (run: Run) => void;
}) {
  return (
    <div className="page-header">
      <div>
        <p className="breadcrumbs">
          <Link href="/runs">Runs</Link> / <span className="mono">{run.id}</span>
        </p>
        <h1>
          <Link href={`/workflows/${run.workflowId}`}>{workflowName ?? run.workflowId}</Link> <span className="muted version">v{run.workflowVersion}</span>
        </h1>
        <p className="muted small">
          Environment:{' '}
          <strong data-testid="run-environment" data-environment={run.environment ?? ''}>
            {run.environment ?? 'latest version'}
          </strong>
        </p>
      </div>
      <div className="page-actions">
        <span aria-live="polite" aria-atomic="true">
          <span className="sr-only">Status: </span>
          <StatusBadge status={run.status} testId="run-status" />
        </span>
        {canCancel && !isTerminal(run.status) && <CancelRunButton run={run} onCancelled={onCancelled} />}
      </div>
    </div>
  );
}
