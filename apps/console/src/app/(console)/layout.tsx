import type { ReactNode } from 'react';
import { TopBar } from '@/components/top-bar';
import { mailOutboxEnabled, requireSession } from '@/server/session';

// Every console page depends on the signed-in user; nothing here is prerendered.
export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const { user, tenant, role, permissions, memberships } = await requireSession();
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <TopBar tenant={tenant} role={role} email={user.email} memberships={memberships} permissions={permissions} devMail={mailOutboxEnabled()} />
      <main id="main" className="container">
        {children}
      </main>
    </>
  );
}
