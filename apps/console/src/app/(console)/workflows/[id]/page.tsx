import type { Metadata } from 'next';
import { NoAccess } from '@/components/no-access';
import { WorkflowView } from '@/components/workflow-view';
import { requireSession } from '@/server/session';

type Props = { params: Promise<{ id: string }> };

export const metadata: Metadata = { title: 'Workflow' };

export default async function WorkflowPage({ params }: Props) {
  const [{ id }, { role, permissions }] = await Promise.all([params, requireSession()]);
  if (!permissions.includes('workflows.read')) return <NoAccess role={role} thing="workflows" permission="workflows.read" />;
  return (
    <WorkflowView
      workflowId={id}
      canRun={permissions.includes('runs.write')}
      canEdit={permissions.includes('workflows.write')}
      canDeploy={permissions.includes('deployments.write')}
      canDeployProtected={permissions.includes('deployments.protected')}
      canReadMembers={permissions.includes('members.read')}
    />
  );
}
