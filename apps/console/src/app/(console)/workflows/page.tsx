import type { Metadata } from 'next';
import { WorkflowsList } from '@/components/workflows-list';

export const metadata: Metadata = { title: 'Workflows' };

export default function WorkflowsPage() {
  return (
    <div className="stack">
      <div className="page-header">
        <h1>Workflows</h1>
      </div>
      <WorkflowsList />
    </div>
  );
}
