import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestRedis, type TestRedis } from '@orvanta/devstack/testing';
import type { ControlPlaneConfig } from '../../apps/console/src/server/config.ts';
import { createDedicatedRegionWorker } from '../../apps/console/src/server/regions/dedicated.ts';
import { createProvisioners } from '../../apps/console/src/server/regions/provisioners/index.ts';
import type { TestControlPlane } from './control-plane.ts';
import { eventually, type apiClient } from './http.ts';

/**
 * The local provisioner for a test file: the control-plane settings it needs (pass them to
 * startTestControlPlane) and, once the control plane is up, `provision` a dedicated region for
 * a tenant — a real database, Redis key space and self-enrolling data-plane process — and
 * wait for it to be ready. The local driver creates databases, so it needs TEST_DATABASE_URL.
 */
export interface LocalDedicated {
  config: Partial<ControlPlaneConfig>;
  provision(cp: TestControlPlane, api: ReturnType<typeof apiClient>, tenantId: string, location?: string): Promise<{ id: string; dataPlaneId: string; publicUrl: string }>;
  dispose(): Promise<void>;
}

export async function localDedicated(): Promise<LocalDedicated | null> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return null;
  const redis: TestRedis = await createTestRedis();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orvanta-dr-'));
  const stops: (() => Promise<void>)[] = [];
  return {
    config: { LOCAL_PROVISIONER_DATABASE_URL: serverUrl, LOCAL_PROVISIONER_REDIS_URL: redis.url, LOCAL_PROVISIONER_REDIS_PREFIX: `${redis.prefix}orvanta`, LOCAL_PROVISIONER_DIR: dir },
    async provision(cp, api, tenantId, location = 'eu-local') {
      await cp.db.tenant.update({ where: { id: tenantId }, data: { plan: 'enterprise' } });
      const worker = createDedicatedRegionWorker(cp.deps, { provisioners: createProvisioners(cp.deps.config, {}), intervalMs: 200, log: () => {} });
      const requested = await api('POST', '/api/v1/dedicated-regions', { location, size: 'small' });
      if (requested.status !== 202) throw new Error(`requesting a dedicated region failed: ${JSON.stringify(requested.body)}`);
      const id = requested.body.id as string;
      stops.push(async () => {
        // Decommission through the driver, then stop the loop: nothing is left running.
        await api('DELETE', `/api/v1/dedicated-regions/${id}`);
        await eventually(`${id} to be decommissioned`, async () => {
          await worker.tick();
          return (await api('GET', `/api/v1/dedicated-regions/${id}`)).body.state === 'decommissioned';
        }, 60_000).catch(() => undefined);
        await worker.stop();
      });
      const ready = await eventually(`dedicated region ${id} to be ready`, async () => {
        await worker.tick();
        const r = (await api('GET', `/api/v1/dedicated-regions/${id}`)).body;
        if (r.state === 'failed') throw new Error(`dedicated region failed: ${r.error}`);
        return r.state === 'ready' ? r : undefined;
      }, 120_000);
      return { id, dataPlaneId: ready.dataPlane.id as string, publicUrl: ready.dataPlane.publicUrl as string };
    },
    async dispose() {
      for (const stop of stops.reverse()) await stop();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
