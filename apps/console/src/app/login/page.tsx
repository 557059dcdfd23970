import type { Metadata } from 'next';
import { LoginForm } from '@/components/login-form';

export const metadata: Metadata = { title: 'Sign in' };

/** Only paths on this console: never send a signed-in user to another site. */
function safeCallback(value: string | string[] | undefined): string {
  const url = Array.isArray(value) ? value[0] : value;
  return url && url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/\\') ? url : '/runs';
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { callbackUrl } = await searchParams;
  return (
    <main className="login">
      <div className="login-card card">
        <p className="brand brand-large">Orvanta</p>
        <h1>Sign in to the console</h1>
        <LoginForm callbackUrl={safeCallback(callbackUrl)} />
      </div>
    </main>
  );
}
