import type { Metadata } from 'next';
import { NoAccess } from '@/components/no-access';
import { RunView } from '@/components/run-view';
import { requireSession } from '@/server/session';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Run ${(await params).id}` };
}

export default async function RunPage({ params }: Props) {
  const [{ id }, { role, permissions }] = await Promise.all([params, requireSession()]);
  if (!permissions.includes('runs.read')) return <NoAccess role={role} thing="runs" permission="runs.read" />;
  return <RunView runId={id} canCancel={permissions.includes('runs.write')} />;
}
