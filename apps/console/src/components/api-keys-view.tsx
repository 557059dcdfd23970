'use client';

import { useState } from 'react';
import { Alert } from './alert';
import { ApiKeyCreateForm } from './api-key-create-form';
import { ApiKeyRow } from './api-key-row';
import { can, type ApiKey, type CreatedApiKey } from './identity-types';
import { LoadMore } from './load-more';
import { SecretBox } from './secret-box';
import { usePaged } from './use-paged';
import { ColumnHeaders } from './column-headers';

/** The tenant's API keys; with api_keys.write, create, rotate and revoke them. */
export function ApiKeysView({ permissions }: { permissions: string[] }) {
  const canWrite = can(permissions, 'api_keys.write');
  const keys = usePaged<ApiKey>('/api/v1/api-keys?limit=100');
  const [revealed, setRevealed] = useState<{ key: CreatedApiKey; rotated: boolean } | null>(null);

  function created(key: CreatedApiKey, rotated: boolean) {
    setRevealed({ key, rotated });
    if (rotated) void keys.reload();
    else keys.setItems((prev) => [key, ...(prev ?? [])]);
  }

  return (
    <div className="stack">
      {revealed && (
        <section className="card" aria-labelledby="secret-title" data-testid="api-key-created">
          <h2 id="secret-title">{revealed.rotated ? `New secret for ${revealed.key.name}` : `API key ${revealed.key.name} created`}</h2>
          <SecretBox secret={revealed.key.secret} label={`Secret of API key ${revealed.key.name}`} testId="api-key-secret" onDismiss={() => setRevealed(null)} />
        </section>
      )}

      {canWrite && (
        <section className="card" aria-labelledby="create-key-title">
          <h2 id="create-key-title">Create an API key</h2>
          <ApiKeyCreateForm scopes={permissions} onCreated={(key) => created(key, false)} />
        </section>
      )}

      <section className="stack" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        {keys.error && <Alert>{keys.error}</Alert>}
        {keys.items === null && !keys.error && <p className="muted">Loading API keys…</p>}
        {keys.items?.length === 0 && (
          <div className="empty" data-testid="api-keys-empty">
            No API keys yet.
          </div>
        )}
        {keys.items && keys.items.length > 0 && (
          <div className="table-wrap">
            <table className="table" data-testid="api-keys-table">
              <caption className="sr-only">API keys</caption>
              <thead>
                <ColumnHeaders columns={['Name', 'Prefix', 'Scopes', 'Environment', 'Created by', 'Last used', 'Expires', 'Status']} actions={canWrite} />
              </thead>
              <tbody>
                {keys.items.map((k) => (
                  <ApiKeyRow
                    key={k.id}
                    apiKey={k}
                    canWrite={canWrite}
                    onRevoked={() => keys.setItems((prev) => prev?.map((p) => (p.id === k.id ? { ...p, status: 'revoked', revokedAt: new Date().toISOString() } : p)) ?? null)}
                    onRotated={(key) => created(key, true)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <LoadMore nextCursor={keys.nextCursor} loading={keys.loadingMore} onLoad={() => void keys.loadMore()} />
      </section>
    </div>
  );
}
