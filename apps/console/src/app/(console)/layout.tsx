import type { ReactNode } from 'react';
import { TopBar } from '@/components/top-bar';
import { requireSession } from '@/server/session';

// Every console page depends on the signed-in user; nothing here is prerendered.
export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const { user, tenant } = await requireSession();
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <TopBar tenantName={tenant.name} email={user.email} />
      <main id="main" className="container">
        {children}
      </main>
    </>
  );
}
