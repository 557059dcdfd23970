import type { Metadata } from 'next';
import { WorkflowEditorLoader } from '@/components/editor/workflow-editor-loader';
import { NoAccess } from '@/components/no-access';
import { requireSession } from '@/server/session';

type Props = { params: Promise<{ id: string }> };

export const metadata: Metadata = { title: 'Edit workflow' };

export default async function EditWorkflowPage({ params }: Props) {
  const [{ id }, { role, permissions }] = await Promise.all([params, requireSession()]);
  if (!permissions.includes('workflows.write')) return <NoAccess role={role} thing="the workflow editor" permission="workflows.write" />;
  return <WorkflowEditorLoader workflowId={id} />;
}
