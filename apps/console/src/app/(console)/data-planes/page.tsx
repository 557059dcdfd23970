import type { Metadata } from 'next';
import { DataPlanesView } from '@/components/data-planes-view';
import { NoAccess } from '@/components/no-access';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'Data planes' };

export default async function DataPlanesPage() {
  const { role, permissions } = await requireSession();
  return (
    <div className="stack">
      <div className="page-header">
        <div>
          <h1>Data planes</h1>
          <p className="muted small">Where workflows run and their data stays: shared regions, dedicated regions of your own, and the region policy.</p>
        </div>
      </div>
      {permissions.includes('data_planes.read') ? (
        <DataPlanesView canWrite={permissions.includes('data_planes.write')} canReadPolicy={permissions.includes('settings.read')} canWritePolicy={permissions.includes('settings.write')} />
      ) : (
        <NoAccess role={role} thing="data planes" permission="data_planes.read" />
      )}
    </div>
  );
}
