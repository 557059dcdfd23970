import type { Metadata } from 'next';
import { MembershipsList } from '@/components/memberships-list';
import { SessionsList } from '@/components/sessions-list';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'Account' };

/** You: profile, the organizations you belong to, and where you are signed in. */
export default async function AccountPage() {
  const { user, tenant, memberships } = await requireSession();
  return (
    <div className="stack">
      <div className="page-header">
        <h1>Account</h1>
      </div>
      <section className="card" aria-labelledby="profile-title">
        <h2 id="profile-title">Profile</h2>
        <dl className="summary summary-plain" data-testid="profile">
          <div>
            <dt>Name</dt>
            <dd data-testid="profile-name">{user.name || '—'}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd data-testid="profile-email">{user.email}</dd>
          </div>
        </dl>
      </section>
      <section className="card" aria-labelledby="memberships-title">
        <h2 id="memberships-title">Organizations</h2>
        <MembershipsList memberships={memberships} currentTenantId={tenant.id} />
      </section>
      <section className="stack" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Active sessions</h2>
        <SessionsList memberships={memberships} />
      </section>
    </div>
  );
}
