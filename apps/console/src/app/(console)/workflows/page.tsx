import type { Metadata } from 'next';
import { NoAccess } from '@/components/no-access';
import { WorkflowsList } from '@/components/workflows-list';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'Workflows' };

export default async function WorkflowsPage() {
  const { role, permissions } = await requireSession();
  return (
    <div className="stack">
      <div className="page-header">
        <h1>Workflows</h1>
      </div>
      {permissions.includes('workflows.read') ? <WorkflowsList canCreate={permissions.includes('workflows.write')} /> : <NoAccess role={role} thing="workflows" permission="workflows.read" />}
    </div>
  );
}
