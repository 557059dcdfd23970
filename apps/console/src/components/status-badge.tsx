import type { NodeStatus, RunStatus } from './types';

/** A run or node status as a coloured pill; the text is the status itself, so it reads without colour. */
export function StatusBadge({ status, testId }: { status: RunStatus | NodeStatus; testId?: string }) {
  return (
    <span className={`badge badge-${status}`} data-testid={testId} data-status={status}>
      {status}
    </span>
  );
}
