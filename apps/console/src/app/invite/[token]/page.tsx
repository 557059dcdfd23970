import type { Metadata } from 'next';
import { InviteAccept } from '@/components/invite-accept';
import { PublicCard } from '@/components/public-card';

// The token is a credential: never send it to another site in a Referer header.
export const metadata: Metadata = { title: 'Invitation', referrer: 'no-referrer' };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return (
    <PublicCard title="You're invited to Orvanta">
      <InviteAccept token={token} />
    </PublicCard>
  );
}
