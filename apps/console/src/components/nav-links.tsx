'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

/** Each section and the permission that shows it (`null`: everyone signed in). */
const LINKS: { href: string; label: string; permission: string | null; section?: string }[] = [
  { href: '/runs', label: 'Runs', permission: 'runs.read' },
  { href: '/workflows', label: 'Workflows', permission: 'workflows.read' },
  { href: '/trash', label: 'Trash', permission: 'trash.read' },
  { href: '/secrets', label: 'Secrets', permission: 'secrets.read' },
  { href: '/members', label: 'Members', permission: 'members.read' },
  { href: '/api-keys', label: 'API keys', permission: 'api_keys.read' },
  { href: '/audit', label: 'Audit', permission: 'audit.read' },
  { href: '/data-planes', label: 'Data planes', permission: 'data_planes.read' },
  { href: '/settings/sso', label: 'Settings', permission: 'settings.read', section: '/settings' },
  { href: '/account', label: 'Account', permission: null },
];

/** The console's sections the signed-in role may read; the current one is marked for screen readers and styled. */
export function NavLinks({ permissions }: { permissions: readonly string[] }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main">
      <ul className="nav">
        {LINKS.filter((l) => l.permission === null || permissions.includes(l.permission)).map(({ href, label, section = href }) => {
          const current = pathname === section || pathname.startsWith(`${section}/`);
          return (
            <li key={href}>
              <Link href={href} aria-current={current ? 'page' : undefined}>
                {label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
