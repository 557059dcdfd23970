'use client';

import { useState } from 'react';
import { Alert } from './alert';
import { api, ApiError, errorMessage } from './api';
import { formatDateTime } from './format';
import type { DevMailMessage } from './identity-types';
import { LinkifiedText } from './linkified-text';
import { usePolling } from './use-polling';

const POLL_MS = 3000;

/** The dev outbox, newest first, refreshed every few seconds. Bodies are shown as text only. */
export function DevMailList() {
  const [messages, setMessages] = useState<DevMailMessage[] | null>(null);
  const [smtp, setSmtp] = useState(false);
  const [error, setError] = useState<string | null>(null);

  usePolling(async (signal) => {
    try {
      const page = await api<{ data: DevMailMessage[] }>('/api/account/dev-mail', { signal, redirectOn401: false });
      if (signal.aborted) return;
      setMessages(page.data);
      setError(null);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 404) {
        setSmtp(true);
        return false;
      }
      setError(errorMessage(err));
    }
  }, POLL_MS);

  if (smtp) {
    return (
      <div className="empty" data-testid="dev-mail-smtp">
        Mail is sent through SMTP on this installation.
      </div>
    );
  }
  return (
    <section className="stack">
      {error && <Alert>{error}</Alert>}
      {messages === null && !error && <p className="muted">Loading messages…</p>}
      {messages?.length === 0 && (
        <div className="empty" data-testid="dev-mail-empty">
          No mail yet. Sign-up, invitation and password reset emails show up here.
        </div>
      )}
      {messages?.map((m) => (
        <article key={m.id} className="card mail" data-testid="dev-mail-message" data-to={m.to} aria-labelledby={`mail-${m.id}`}>
          <header className="mail-header">
            <h2 id={`mail-${m.id}`} data-testid="dev-mail-subject">
              {m.subject}
            </h2>
            <p className="small muted">
              To <span data-testid="dev-mail-to">{m.to}</span> · <time dateTime={m.createdAt}>{formatDateTime(m.createdAt)}</time>
            </p>
          </header>
          <div className="mail-text" data-testid="dev-mail-text">
            <LinkifiedText text={m.text} />
          </div>
        </article>
      ))}
    </section>
  );
}
