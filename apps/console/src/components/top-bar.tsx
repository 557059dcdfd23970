import Link from 'next/link';
import { NavLinks } from './nav-links';
import { SignOutButton } from './sign-out-button';

/** Product, tenant, sections and the signed-in user. */
export function TopBar({ tenantName, email }: { tenantName: string; email: string }) {
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Link href="/runs" className="brand">
          Orvanta
        </Link>
        <span className="tenant" title="Tenant" data-testid="tenant-name">
          {tenantName}
        </span>
        <NavLinks />
        <div className="topbar-user">
          <span className="muted" data-testid="user-email">
            {email}
          </span>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
