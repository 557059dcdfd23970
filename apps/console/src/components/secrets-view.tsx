'use client';

import { Alert } from './alert';
import { can } from './identity-types';
import { SecretForm } from './secret-form';
import { SecretRow } from './secret-row';
import type { Secret } from './types';
import { useList } from './use-list';
import { useMemberEmails } from './use-member-emails';
import { ColumnHeaders } from './column-headers';

const sameSecret = (a: Secret, b: Secret) => a.name === b.name && a.dataPlaneId === b.dataPlaneId;

/** The tenant's secrets (names and versions, per data plane); with secrets.write, set and delete them. */
export function SecretsView({ permissions }: { permissions: string[] }) {
  const canWrite = can(permissions, 'secrets.write');
  const secrets = useList<Secret>('/api/v1/secrets');
  const emails = useMemberEmails(can(permissions, 'members.read'));

  function saved(secret: Secret) {
    secrets.setItems((prev) => {
      const rest = (prev ?? []).filter((s) => !sameSecret(s, secret));
      return [...rest, secret].sort((a, b) => a.name.localeCompare(b.name) || a.dataPlaneId.localeCompare(b.dataPlaneId));
    });
  }

  const names = (secrets.items ?? []).map((s) => s.name);
  return (
    <div className="stack">
      <Alert kind="info" testId="secrets-write-only">
        Values are write-only. A value is sent once to the data plane, stored there encrypted, and never shown again: not here, not through the API, and it
        is redacted from run logs, outputs and errors. The control plane keeps only names and versions. To change a value, set it again.
      </Alert>

      {canWrite && (
        <section className="card" aria-labelledby="set-secret-title">
          <h2 id="set-secret-title">Set a secret</h2>
          <SecretForm onSaved={saved} />
        </section>
      )}

      <section className="stack" aria-labelledby="secrets-title">
        <h2 id="secrets-title">Secrets</h2>
        {secrets.error && <Alert>{secrets.error}</Alert>}
        {secrets.items === null && !secrets.error && <p className="muted">Loading secrets…</p>}
        {secrets.items?.length === 0 && (
          <div className="empty" data-testid="secrets-empty">
            No secrets yet.
          </div>
        )}
        {secrets.items && secrets.items.length > 0 && (
          <div className="table-wrap">
            <table className="table" data-testid="secrets-table">
              <caption className="sr-only">Secrets (values are never shown)</caption>
              <thead>
                <ColumnHeaders columns={['Name', 'Data plane', { label: 'Version', numeric: true }, 'Updated', 'Updated by']} actions={canWrite} />
              </thead>
              <tbody>
                {secrets.items.map((s) => (
                  <SecretRow
                    key={`${s.name}@${s.dataPlaneId}`}
                    secret={s}
                    canWrite={canWrite}
                    ambiguous={names.filter((n) => n === s.name).length > 1}
                    emails={emails}
                    onDeleted={() => secrets.setItems((prev) => prev?.filter((p) => !sameSecret(p, s)) ?? null)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
