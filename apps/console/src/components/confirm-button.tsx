'use client';

import { useState, type ReactNode } from 'react';
import { errorMessage } from './api';

/**
 * A button for a destructive action: asks `confirm` first, shows progress, and reports a
 * failure next to itself. `label` is the accessible name (e.g. "Remove ada@example.com").
 */
export function ConfirmButton({
  children,
  confirm,
  onConfirm,
  label,
  pendingText,
  disabled,
  testId,
  className = 'button button-danger button-small',
}: {
  children: ReactNode;
  confirm: string;
  onConfirm: () => Promise<void>;
  label?: string;
  pendingText?: string;
  disabled?: boolean;
  testId?: string;
  className?: string;
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run() {
    if (!window.confirm(confirm)) return;
    setPending(true);
    setError(null);
    try {
      await onConfirm();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <span className="inline-action">
      <button type="button" className={className} onClick={() => void run()} disabled={disabled || pending} aria-label={label} data-testid={testId}>
        {pending ? (pendingText ?? children) : children}
      </button>
      {error && (
        <span role="alert" className="error-text small">
          {error}
        </span>
      )}
    </span>
  );
}
