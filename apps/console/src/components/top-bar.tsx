import Link from 'next/link';
import type { Membership, TenantRef } from './identity-types';
import { NavLinks } from './nav-links';
import { SignOutButton } from './sign-out-button';
import { TenantSwitcher } from './tenant-switcher';

/** Product, tenant (and a switcher when you belong to several), the sections your role may see, and you. */
export function TopBar({
  tenant,
  role,
  email,
  memberships,
  permissions,
  devMail = false,
}: {
  tenant: TenantRef;
  role: string;
  email: string;
  memberships: Membership[];
  permissions: string[];
  devMail?: boolean;
}) {
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Link href="/runs" className="brand">
          Orvanta
        </Link>
        <span className="tenant" title="Tenant and your role in it">
          <span data-testid="tenant-name">{tenant.name}</span>
          <span className="tenant-role" data-testid="tenant-role">
            {role}
          </span>
        </span>
        {memberships.length > 1 && <TenantSwitcher current={tenant.id} memberships={memberships} />}
        <NavLinks permissions={permissions} />
        <div className="topbar-user">
          {devMail && (
            <Link href="/dev/mail" className="small" data-testid="dev-mail-link">
              Dev mail
            </Link>
          )}
          <span className="muted" data-testid="user-email">
            {email}
          </span>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
