import type { Metadata } from 'next';
import { PublicCard } from '@/components/public-card';
import { ResetPasswordForm } from '@/components/reset-password-form';

export const metadata: Metadata = { title: 'Choose a new password', referrer: 'no-referrer' };

export default async function ResetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return (
    <PublicCard title="Choose a new password">
      <ResetPasswordForm token={token} />
    </PublicCard>
  );
}
