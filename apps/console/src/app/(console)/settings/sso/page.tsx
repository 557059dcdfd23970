import type { Metadata } from 'next';
import { NoAccess } from '@/components/no-access';
import { ALL_ROLES } from '@/components/roles';
import { SettingsNav } from '@/components/settings-nav';
import { SsoSettingsForm } from '@/components/sso-settings-form';
import { requireSession } from '@/server/session';

export const metadata: Metadata = { title: 'Single sign-on' };

export default async function SsoSettingsPage() {
  const { role, permissions, tenant } = await requireSession();
  return (
    <div className="stack">
      <div className="page-header">
        <div>
          <p className="breadcrumbs">Settings</p>
          <h1>Single sign-on</h1>
          <p className="muted small">Let people sign in with your organization&apos;s OpenID Connect identity provider.</p>
        </div>
      </div>
      <SettingsNav />
      {permissions.includes('settings.read') ? (
        <SsoSettingsForm slug={tenant.slug} canWrite={permissions.includes('settings.write')} roles={ALL_ROLES.filter((r) => r !== 'owner')} />
      ) : (
        <NoAccess role={role} thing="settings" permission="settings.read" />
      )}
    </div>
  );
}
