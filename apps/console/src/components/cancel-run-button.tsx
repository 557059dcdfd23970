'use client';

import { api } from './api';
import { ConfirmButton } from './confirm-button';
import type { Run } from './types';

/** Asks the control plane to cancel; the run page keeps polling until the run is terminal. */
export function CancelRunButton({ run, onCancelled }: { run: Run; onCancelled: (run: Run) => void }) {
  const requested = run.cancelRequestedAt !== null;
  return (
    <ConfirmButton
      className="button button-danger"
      confirm="Cancel this run? Nodes that have not started will not run."
      pendingText="Cancelling…"
      disabled={requested}
      testId="cancel-run"
      onConfirm={async () => onCancelled(await api<Run>(`/api/v1/runs/${encodeURIComponent(run.id)}/cancel`, { method: 'POST' }))}
    >
      {requested ? 'Cancelling…' : 'Cancel run'}
    </ConfirmButton>
  );
}
