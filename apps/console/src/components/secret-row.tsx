'use client';

import { api } from './api';
import { ConfirmButton } from './confirm-button';
import { formatActorRef, formatDateTime, formatRelative } from './format';
import type { Secret } from './types';

/**
 * One secret on one data plane; with secrets.write it can be deleted there. `ambiguous`: the
 * same name is also set on another data plane, so the button's name says which one.
 */
export function SecretRow({
  secret,
  canWrite,
  ambiguous,
  emails,
  onDeleted,
}: {
  secret: Secret;
  canWrite: boolean;
  ambiguous: boolean;
  emails: ReadonlyMap<string, string>;
  onDeleted: () => void;
}) {
  const { name, dataPlaneId } = secret;
  return (
    <tr data-testid="secret-row" data-name={name} data-data-plane-id={dataPlaneId}>
      <td className="mono row-link">{name}</td>
      <td className="mono">{dataPlaneId}</td>
      <td className="num" data-testid="secret-version">
        {secret.version}
      </td>
      <td title={formatDateTime(secret.updatedAt)}>{formatRelative(secret.updatedAt)}</td>
      <td>{formatActorRef(secret.updatedBy, emails)}</td>
      {canWrite && (
        <td className="actions">
          <ConfirmButton
            confirm={`Delete the secret ${name} from data plane ${dataPlaneId}? Workflows that use {{ secrets.${name} }} there fail until it is set again. The value cannot be recovered.`}
            label={ambiguous ? `Delete ${name} on ${dataPlaneId}` : `Delete ${name}`}
            pendingText="Deleting…"
            testId="secret-delete"
            onConfirm={async () => {
              await api(`/api/v1/secrets/${encodeURIComponent(name)}?dataPlaneId=${encodeURIComponent(dataPlaneId)}`, { method: 'DELETE' });
              onDeleted();
            }}
          >
            Delete
          </ConfirmButton>
        </td>
      )}
    </tr>
  );
}
