import type { Metadata } from 'next';
import { NoAccess } from '@/components/no-access';
import { RunsList } from '@/components/runs-list';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'Runs' };

export default async function RunsPage() {
  const { role, permissions } = await requireSession();
  return (
    <div className="stack">
      <div className="page-header">
        <h1>Runs</h1>
      </div>
      {permissions.includes('runs.read') ? <RunsList /> : <NoAccess role={role} thing="runs" permission="runs.read" />}
    </div>
  );
}
