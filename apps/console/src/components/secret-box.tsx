'use client';

import { useState } from 'react';
import { Alert } from './alert';

/** A secret shown once: selectable, copyable, with a plain warning that it will not come back. */
export function SecretBox({ secret, label, testId, onDismiss }: { secret: string; label: string; testId?: string; onDismiss?: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  }

  return (
    <div className="secret stack-tight">
      <Alert kind="warning">Copy this secret now: it won&apos;t be shown again. Store it somewhere safe, like a secrets manager.</Alert>
      <div className="secret-row" role="group" aria-label={label}>
        <code className="secret-value" tabIndex={0} data-testid={testId}>
          {secret}
        </code>
        <button type="button" className="button" onClick={() => void copy()}>
          Copy
        </button>
        {onDismiss && (
          <button type="button" className="button button-quiet" onClick={onDismiss}>
            Done
          </button>
        )}
      </div>
      <p className="small muted" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Copying is blocked here: select the secret and copy it by hand.' : ''}
      </p>
    </div>
  );
}
