/**
 * One-shot setup of infra/compose/local-stack.yaml, run by its `setup` service with the
 * console image: applies the control-plane migrations, registers the local shared data
 * plane, creates the demo tenants (as `npm start` does) and leaves the data plane's
 * enrollment token in $SHARED_DIR/enrollment-token for the data-plane container.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { migrate } from '@orvanta/migrate';
import { createDb } from '../../apps/console/src/server/db/client.ts';
import { ensureDataPlane, ensureTenant, type DemoCredentials } from '../../apps/console/src/server/seed.ts';

const databaseUrl = process.env.DATABASE_URL;
const shared = process.env.SHARED_DIR ?? '/shared';
if (!databaseUrl) {
  console.error('DATABASE_URL: required');
  process.exit(2);
}
const DATA_PLANE = { id: 'dp_local_shared', name: 'Local shared region', kind: 'shared' as const, region: 'local' };
const TENANTS = [
  { slug: 'acme', name: 'Acme Corp', email: 'owner@acme.test', ownerName: 'Ada Owner' },
  { slug: 'globex', name: 'Globex Inc', email: 'owner@globex.test', ownerName: 'Hank Owner' },
];

const { applied } = await migrate({ connectionString: databaseUrl, plane: 'control' });
if (applied.length) console.log(`control-plane migrations applied: ${applied.join(', ')}`);
const db = createDb(databaseUrl, { max: 1 });
try {
  const { enrollmentToken } = await ensureDataPlane(db, DATA_PLANE);
  writeFileSync(path.join(shared, 'enrollment-token'), enrollmentToken, { mode: 0o600 });
  const demoFile = path.join(shared, 'demo.json');
  const saved = existsSync(demoFile) ? (JSON.parse(readFileSync(demoFile, 'utf8')) as DemoCredentials[]) : [];
  const tenants: DemoCredentials[] = [];
  for (const spec of TENANTS) {
    const { tenantId: _t, userId: _u, ...credentials } = await ensureTenant(db, spec, DATA_PLANE.id, saved.find((t) => t.slug === spec.slug));
    tenants.push(credentials);
  }
  writeFileSync(demoFile, JSON.stringify(tenants, null, 2), { mode: 0o600 });
  console.log(['Orvanta local stack ready.', 'Console: http://localhost:3000', ...tenants.map((t) => `Tenant ${t.slug}: login ${t.email} / ${t.password}, API key ${t.apiKey}`)].join('\n'));
} finally {
  await db.$disconnect();
}
