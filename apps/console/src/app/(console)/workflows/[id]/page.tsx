import type { Metadata } from 'next';
import { WorkflowView } from '@/components/workflow-view';

type Props = { params: Promise<{ id: string }> };

export const metadata: Metadata = { title: 'Workflow' };

export default async function WorkflowPage({ params }: Props) {
  const { id } = await params;
  return <WorkflowView workflowId={id} />;
}
