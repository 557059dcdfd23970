import Link from 'next/link';
import { formatDateTime, spanDuration } from './format';
import { StatusBadge } from './status-badge';
import type { Run } from './types';

export function RunRow({ run, workflowName, now }: { run: Run; workflowName: string | undefined; now: number }) {
  return (
    <tr data-testid="run-row" data-run-id={run.id}>
      <td>
        <Link href={`/runs/${run.id}`} className="row-link">
          {workflowName ?? <span className="mono">{run.workflowId}</span>}
        </Link>
        <div className="mono small muted">{run.id}</div>
      </td>
      <td>
        <StatusBadge status={run.status} testId="run-status" />
      </td>
      <td>
        {run.startedAt ? (
          formatDateTime(run.startedAt)
        ) : (
          <span className="muted" title="Not started yet; queued at this time">
            {formatDateTime(run.createdAt)}
          </span>
        )}
      </td>
      <td className="num">{spanDuration(run.startedAt, run.finishedAt, now)}</td>
      <td>{run.trigger}</td>
      <td>{run.region}</td>
    </tr>
  );
}
