import type { Metadata } from 'next';
import { MembersView } from '@/components/members-view';
import { NoAccess } from '@/components/no-access';
import { ALL_ROLES, assignableRoles } from '@/components/roles';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'Members' };

export default async function MembersPage() {
  const { role, permissions } = await requireSession();
  return (
    <div className="stack">
      <div className="page-header">
        <div>
          <h1>Members</h1>
          <p className="muted small">People in this organization and what their role lets them do.</p>
        </div>
      </div>
      {permissions.includes('members.read') ? (
        <MembersView permissions={permissions} roles={ALL_ROLES} assignable={assignableRoles(role, permissions)} />
      ) : (
        <NoAccess role={role} thing="members" permission="members.read" />
      )}
    </div>
  );
}
