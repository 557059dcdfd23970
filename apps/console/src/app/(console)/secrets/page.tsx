import type { Metadata } from 'next';
import { NoAccess } from '@/components/no-access';
import { SecretsView } from '@/components/secrets-view';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'Secrets' };

export default async function SecretsPage() {
  const { role, permissions } = await requireSession();
  return (
    <div className="stack">
      <div className="page-header">
        <div>
          <h1>Secrets</h1>
          <p className="muted small">
            Credentials your workflows use without ever writing them down: reference one in an http node as <span className="mono">{'{{ secrets.NAME }}'}</span>.
          </p>
        </div>
      </div>
      {permissions.includes('secrets.read') ? <SecretsView permissions={permissions} /> : <NoAccess role={role} thing="secrets" permission="secrets.read" />}
    </div>
  );
}
