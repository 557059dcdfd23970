'use client';

import { useState } from 'react';

/** The workflow's webhook URL, hidden until asked for (the URL is the credential), with copy. */
export function WebhookSection({ url }: { url: string }) {
  const [shown, setShown] = useState(false);
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  }

  return (
    <section className="card stack-tight" aria-labelledby="webhook-title">
      <h2 id="webhook-title">Webhook</h2>
      <p className="small muted">
        A POST to this URL starts a run on the data plane (its input is <code>{'{ body, headers, query }'}</code>). Treat it as a secret: anyone with it can start runs, unless the
        document&apos;s <code>triggers.webhook.verify</code> checks signatures.
      </p>
      <div className="secret-row" role="group" aria-label="Webhook URL">
        <code className="secret-value" tabIndex={0} data-testid="webhook-url">
          {shown ? url : url.replace(/[^/]+$/, '••••••••')}
        </code>
        <button type="button" className="button" onClick={() => setShown((s) => !s)} aria-pressed={shown}>
          {shown ? 'Hide' : 'Show'}
        </button>
        <button type="button" className="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p className="small muted" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Copying is blocked here: show the URL and copy it by hand.' : ''}
      </p>
    </section>
  );
}
