import type { Metadata } from 'next';
import { ApiKeysView } from '@/components/api-keys-view';
import { NoAccess } from '@/components/no-access';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'API keys' };

export default async function ApiKeysPage() {
  const { role, permissions } = await requireSession();
  return (
    <div className="stack">
      <div className="page-header">
        <div>
          <h1>API keys</h1>
          <p className="muted small">
            Keys let programs call the API as this organization: send one as <span className="mono">Authorization: Bearer orv_…</span>.
          </p>
        </div>
      </div>
      {permissions.includes('api_keys.read') ? <ApiKeysView permissions={permissions} /> : <NoAccess role={role} thing="API keys" permission="api_keys.read" />}
    </div>
  );
}
