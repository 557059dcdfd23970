import type { Metadata } from 'next';
import { EnvironmentsSettings } from '@/components/environments-settings';
import { NoAccess } from '@/components/no-access';
import { SettingsNav } from '@/components/settings-nav';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'Environments' };

export default async function SettingsPage() {
  const { role, permissions } = await requireSession();
  return (
    <div className="stack">
      <div className="page-header">
        <div>
          <p className="breadcrumbs">Settings</p>
          <h1>Environments</h1>
          <p className="muted small">Where workflow versions are deployed. Runs in an environment take the version live there.</p>
        </div>
      </div>
      <SettingsNav />
      {permissions.includes('settings.read') ? (
        <EnvironmentsSettings canWrite={permissions.includes('settings.write')} />
      ) : (
        <NoAccess role={role} thing="settings" permission="settings.read" />
      )}
    </div>
  );
}
