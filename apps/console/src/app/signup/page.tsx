import type { Metadata } from 'next';
import { PublicCard } from '@/components/public-card';
import { SignupForm } from '@/components/signup-form';
import { mailOutboxEnabled } from '@/server/session';

export const metadata: Metadata = { title: 'Create an organization' };

// Whether mail goes to the dev outbox is known only at run time.
export const dynamic = 'force-dynamic';

export default function SignupPage() {
  return (
    <PublicCard title="Create your organization" devMail={mailOutboxEnabled()}>
      <SignupForm />
    </PublicCard>
  );
}
