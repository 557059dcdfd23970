'use client';

import { useState } from 'react';
import { api, errorMessage } from './api';
import type { Run } from './types';

/** Asks the control plane to cancel; the run page keeps polling until the run is terminal. */
export function CancelRunButton({ run, onCancelled }: { run: Run; onCancelled: (run: Run) => void }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const requested = run.cancelRequestedAt !== null;

  async function cancel() {
    if (!window.confirm('Cancel this run? Nodes that have not started will not run.')) return;
    setPending(true);
    setError(null);
    try {
      onCancelled(await api<Run>(`/api/v1/runs/${encodeURIComponent(run.id)}/cancel`, { method: 'POST' }));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <span className="cancel">
      <button type="button" className="button button-danger" onClick={() => void cancel()} disabled={pending || requested} data-testid="cancel-run">
        {requested ? 'Cancelling…' : pending ? 'Cancelling…' : 'Cancel run'}
      </button>
      {error && (
        <span role="alert" className="error-text small">
          {error}
        </span>
      )}
    </span>
  );
}
