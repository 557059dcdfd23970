'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { Alert } from './alert';
import { api, errorMessage } from './api';
import { can, type Invitation, type Member } from './identity-types';
import { InvitationsList } from './invitations-list';
import { InviteForm } from './invite-form';
import { LoadMore } from './load-more';
import { MemberRow } from './member-row';
import { usePaged } from './use-paged';
import { ColumnHeaders } from './column-headers';

/** The tenant's members and pending invitations; with members.write, invite, change roles and remove. */
export function MembersView({ permissions, roles, assignable }: { permissions: string[]; roles: readonly string[]; assignable: readonly string[] }) {
  const router = useRouter();
  const canWrite = can(permissions, 'members.write');
  const members = usePaged<Member>('/api/v1/members?limit=100');
  const [invitations, setInvitations] = useState<Invitation[] | null>(null);
  const [invitationsError, setInvitationsError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    api<{ data: Invitation[] }>('/api/v1/invitations', { signal: controller.signal })
      .then((page) => setInvitations(page.data))
      .catch((err) => !controller.signal.aborted && setInvitationsError(errorMessage(err)));
    return () => controller.abort();
  }, []);

  function replaceMember(updated: Member) {
    members.setItems((prev) => prev?.map((m) => (m.id === updated.id ? updated : m)) ?? null);
    // Your own role changed: the layout and this page re-read your permissions.
    if (updated.you) router.refresh();
  }

  function dropMember(removed: Member) {
    if (removed.you) {
      window.location.assign('/login');
      return;
    }
    members.setItems((prev) => prev?.filter((m) => m.id !== removed.id) ?? null);
  }

  return (
    <div className="stack">
      <section className="stack" aria-labelledby="members-title">
        <h2 id="members-title" className="sr-only">
          Members
        </h2>
        {members.error && <Alert>{members.error}</Alert>}
        {members.items === null && !members.error && <p className="muted">Loading members…</p>}
        {members.items && (
          <div className="table-wrap">
            <table className="table" data-testid="members-table">
              <caption className="sr-only">Members of this organization</caption>
              <thead>
                <ColumnHeaders columns={['Name', 'Email', 'Role', 'Joined']} actions={canWrite} />
              </thead>
              <tbody>
                {members.items.map((m) => (
                  <MemberRow
                    key={m.id}
                    member={m}
                    canWrite={canWrite}
                    roles={roles}
                    assignable={assignable}
                    onChanged={replaceMember}
                    onRemoved={dropMember}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <LoadMore nextCursor={members.nextCursor} loading={members.loadingMore} onLoad={() => void members.loadMore()} />
      </section>

      {canWrite && (
        <section className="card" aria-labelledby="invite-title">
          <h2 id="invite-title">Invite someone</h2>
          <InviteForm roles={assignable} onInvited={(inv) => setInvitations((prev) => [inv, ...(prev ?? []).filter((i) => i.id !== inv.id)])} />
        </section>
      )}

      <section className="stack" aria-labelledby="invitations-title">
        <h2 id="invitations-title">Pending invitations</h2>
        {invitationsError && <Alert>{invitationsError}</Alert>}
        {invitations === null && !invitationsError && <p className="muted">Loading invitations…</p>}
        {invitations && <InvitationsList invitations={invitations} canWrite={canWrite} onRevoked={(inv) => setInvitations((prev) => prev?.filter((i) => i.id !== inv.id) ?? null)} />}
      </section>
    </div>
  );
}
