import type { Metadata } from 'next';
import { LoginForm } from '@/components/login-form';
import { PublicCard } from '@/components/public-card';
import { signInPageErrorMessage } from '@/components/sign-in-errors';
import { mailOutboxEnabled } from '@/server/session';

export const metadata: Metadata = { title: 'Sign in' };

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Only paths on this console: never send a signed-in user to another site. */
function safeCallback(value: string | string[] | undefined): string {
  const url = first(value);
  return url && url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/\\') ? url : '/runs';
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { callbackUrl, error } = await searchParams;
  return (
    <PublicCard title="Sign in to the console" devMail={mailOutboxEnabled()}>
      <LoginForm callbackUrl={safeCallback(callbackUrl)} initialError={signInPageErrorMessage(first(error))} />
    </PublicCard>
  );
}
