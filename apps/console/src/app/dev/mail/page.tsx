import type { Metadata } from 'next';
import Link from 'next/link';
import { DevMailList } from '@/components/dev-mail-list';

export const metadata: Metadata = { title: 'Dev mail', referrer: 'no-referrer' };

/** The outbox of an installation without a mail server: what would have been emailed. */
export default function DevMailPage() {
  return (
    <main className="container stack">
      <div className="page-header">
        <div>
          <p className="breadcrumbs">
            <Link href="/runs">Console</Link> / Dev mail
          </p>
          <h1>Dev mail</h1>
          <p className="muted small">Emails this installation would have sent, newest first. Links open here.</p>
        </div>
      </div>
      <DevMailList />
    </main>
  );
}
