import type { Metadata } from 'next';
import { RunsList } from '@/components/runs-list';

export const metadata: Metadata = { title: 'Runs' };

export default function RunsPage() {
  return (
    <div className="stack">
      <div className="page-header">
        <h1>Runs</h1>
      </div>
      <RunsList />
    </div>
  );
}
