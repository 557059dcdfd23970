import type { Metadata } from 'next';
import { NoAccess } from '@/components/no-access';
import { TrashView } from '@/components/trash-view';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'Trash' };

export default async function TrashPage() {
  const { role, permissions } = await requireSession();
  return (
    <div className="stack">
      <div className="page-header">
        <div>
          <h1>Trash</h1>
          <p className="muted small">Messages that used up their retries wait here. Approve one to run it again at its node, edit its payload first, or reject it.</p>
        </div>
      </div>
      {permissions.includes('trash.read') ? <TrashView canDecide={permissions.includes('trash.write')} /> : <NoAccess role={role} thing="the Trash" permission="trash.read" />}
    </div>
  );
}
