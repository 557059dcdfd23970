import type { Metadata } from 'next';
import { NEW_WORKFLOW_YAML } from '@/components/editor/document-model';
import { WorkflowEditor } from '@/components/editor/workflow-editor';
import { NoAccess } from '@/components/no-access';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'New workflow' };

export default async function NewWorkflowPage() {
  const { role, permissions } = await requireSession();
  if (!permissions.includes('workflows.write')) return <NoAccess role={role} thing="the workflow editor" permission="workflows.write" />;
  return <WorkflowEditor workflowId={null} initialText={NEW_WORKFLOW_YAML} />;
}
