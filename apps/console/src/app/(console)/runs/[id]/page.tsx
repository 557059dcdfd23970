import type { Metadata } from 'next';
import { RunView } from '@/components/run-view';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Run ${(await params).id}` };
}

export default async function RunPage({ params }: Props) {
  const { id } = await params;
  return <RunView runId={id} />;
}
