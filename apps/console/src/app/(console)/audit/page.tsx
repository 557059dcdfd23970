import type { Metadata } from 'next';
import { auditFiltersOf } from '@/components/audit-query';
import { AuditView } from '@/components/audit-view';
import { NoAccess } from '@/components/no-access';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'Audit' };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function AuditPage({ searchParams }: Props) {
  const [{ role, permissions }, query] = await Promise.all([requireSession(), searchParams]);
  return (
    <div className="stack">
      <div className="page-header">
        <div>
          <h1>Audit</h1>
          <p className="muted small">Who changed what in this organization. Each event is chained to the one before it by its hash.</p>
        </div>
      </div>
      {permissions.includes('audit.read') ? (
        <AuditView filters={auditFiltersOf(query)} />
      ) : (
        <NoAccess role={role} thing="the audit trail" permission="audit.read" />
      )}
    </div>
  );
}
