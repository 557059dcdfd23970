import Link from 'next/link';
import type { ReactNode } from 'react';

/** The centred card of the public pages (sign in, sign up, password reset, invitations). */
export function PublicCard({ title, children, devMail = false }: { title: string; children: ReactNode; devMail?: boolean }) {
  return (
    <main className="login">
      <div className="login-card card">
        <p className="brand brand-large">Orvanta</p>
        <h1>{title}</h1>
        {children}
        {devMail && (
          <p className="small muted dev-mail-note">
            This installation has no mail server: emails land in the{' '}
            <Link href="/dev/mail" data-testid="dev-mail-link">
              Dev mail
            </Link>{' '}
            outbox.
          </p>
        )}
      </div>
    </main>
  );
}
