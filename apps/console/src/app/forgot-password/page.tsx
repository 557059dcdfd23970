import type { Metadata } from 'next';
import { ForgotPasswordForm } from '@/components/forgot-password-form';
import { PublicCard } from '@/components/public-card';
import { mailOutboxEnabled } from '@/server/session';

export const metadata: Metadata = { title: 'Reset your password' };

// Whether mail goes to the dev outbox is known only at run time.
export const dynamic = 'force-dynamic';

export default function ForgotPasswordPage() {
  return (
    <PublicCard title="Reset your password" devMail={mailOutboxEnabled()}>
      <ForgotPasswordForm />
    </PublicCard>
  );
}
