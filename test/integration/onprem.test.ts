import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gatewayPaths } from '@orvanta/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, eventually } from '../support/http.ts';
import { freePort, runInstallForm, startFromInstallForm, type InstalledDataPlane } from '../support/install-form.ts';
import { localDedicated, type LocalDedicated } from '../support/dedicated.ts';
import { dataPlaneDatabase, findInControlPlane } from '../support/residency.ts';

/**
 * On-prem data planes: a tenant admin creates one and gets a one-time enrollment token and
 * install instructions; the data plane is started from the single-host form, run as given,
 * connects out and enrolls; the same workflow runs on it as on a shared one; it keeps working
 * through a control-plane outage and every event arrives once afterwards; and revoking it
 * refuses it at once.
 */
const root = path.resolve(import.meta.dirname, '../..');
let cp: TestControlPlane;
let shared: TestDataPlane;
let onprem: InstalledDataPlane | undefined;
let admin: ReturnType<typeof apiClient>;
/** The answer of POST /data-planes for the data plane started from the install form. */
let created: { dataPlane: { id: string }; enrollmentToken: string; install: { compose: string; helm: string; node: string } };
let publicUrl: string;
let counter = 0;
let dedicated: LocalDedicated | null;
let tenantId: string;

beforeAll(async () => {
  dedicated = await localDedicated();
  cp = await startTestControlPlane(dedicated?.config);
  const token = await cp.dataPlane('dp_shared_onprem_suite');
  const tenant = await cp.tenant('onsite', 'dp_shared_onprem_suite');
  tenantId = tenant.tenantId;
  admin = apiClient(cp.url, tenant.apiKey);
  shared = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: token });
  await shared.start();
}, 120_000);

afterAll(async () => {
  await dedicated?.dispose();
  await onprem?.dispose();
  await shared?.dispose();
  await cp?.stop();
});

const gateway = (pathname: string, init: { method?: string; credential?: string; body?: unknown } = {}) =>
  fetch(new URL(pathname, cp.url), {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { ...(init.credential ? { authorization: `Bearer ${init.credential}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });

async function newOnPrem(name: string, body: Record<string, unknown> = {}) {
  const res = await admin('POST', '/api/v1/data-planes', { kind: 'onprem', name, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as typeof created & { expiresAt: string };
}

/** Enrolls by speaking the gateway protocol directly, as an agent would; returns its credential. */
async function enroll(token: string): Promise<string> {
  const res = await gateway(gatewayPaths.enroll, { body: { token, version: 'test', publicUrl: 'http://127.0.0.1:9' } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { credential: string }).credential;
}

async function runOn(workflowId: string, dataPlaneId: string, input: unknown) {
  expect((await admin('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'development', dataPlaneId })).status).toBe(201);
  const started = await admin('POST', `/api/v1/workflows/${workflowId}/runs`, { input, environment: 'development' });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const run = await eventually(`run ${started.body.id} on ${dataPlaneId}`, async () => {
    const r = (await admin('GET', `/api/v1/runs/${started.body.id}`)).body;
    return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
  }, 60_000);
  return { run, data: await (await fetch(run.links.data)).json() };
}

describe('creating an on-prem data plane', () => {
  it('answers a one-time token and three install forms of the same program and image, and never shows the token again', async () => {
    publicUrl = `http://127.0.0.1:${await freePort()}`;
    const res = await admin('POST', '/api/v1/data-planes', { kind: 'onprem', name: 'Basement rack', publicUrl });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    created = res.body;
    const { dataPlane, enrollmentToken, install } = res.body;
    expect(dataPlane).toMatchObject({ name: 'Basement rack', kind: 'onprem', region: 'onprem', jurisdiction: null, status: 'pending', connection: 'pending', version: null });
    expect(res.headers.get('location')).toBe(`/api/v1/data-planes/${dataPlane.id}`);
    expect(enrollmentToken).toMatch(/^orvdp_enroll_/);
    expect(new Date(res.body.expiresAt).getTime()).toBeGreaterThan(Date.now());

    // Each form carries the token and points at this control plane; compose and helm run the
    // image, the single-host form runs the image's entry point from a checkout.
    for (const form of [install.compose, install.helm, install.node]) {
      expect(form).toContain(enrollmentToken);
      expect(form).toContain(cp.url);
    }
    const DATAPLANE_IMAGE = cp.deps.config.DATAPLANE_IMAGE;
    expect(install.compose).toContain(`image: "${DATAPLANE_IMAGE}"`);
    expect(install.compose).toContain('command: ["all"]');
    expect(install.helm).toContain(`image.reference=${DATAPLANE_IMAGE}`);
    expect(readFileSync(path.join(root, 'infra/docker/dataplane.Dockerfile'), 'utf8')).toContain('ENTRYPOINT ["node", "services/dataplane/bin/orvanta-dataplane.mjs"]');
    expect(install.node).toContain('node services/dataplane/bin/orvanta-dataplane.mjs all');

    // Nowhere else: not in later reads, the audit trail, the database or the logs.
    const listed = await admin('GET', '/api/v1/data-planes');
    expect(listed.body.data).toContainEqual(expect.objectContaining({ id: dataPlane.id, kind: 'onprem', connection: 'pending' }));
    const audit = await admin('GET', '/api/v1/audit?action=data_plane.created');
    expect(audit.body.data[0]).toMatchObject({ target: { type: 'data_plane', id: dataPlane.id }, after: { kind: 'onprem', status: 'pending' } });
    for (const later of [listed, audit, await admin('GET', '/api/v1/audit/export?format=jsonl')]) expect(JSON.stringify(later.body)).not.toContain(enrollmentToken);
    expect(await findInControlPlane(cp, enrollmentToken)).toEqual([]);
  });

  it('refuses other kinds, a missing name and a name already in use, as problems', async () => {
    const dedicated = await admin('POST', '/api/v1/data-planes', { kind: 'dedicated', name: 'mine' });
    expect(dedicated.status).toBe(422);
    expect(dedicated.headers.get('content-type')).toBe('application/problem+json');
    const nameless = await admin('POST', '/api/v1/data-planes', { kind: 'onprem', name: '  ' });
    expect(nameless.status).toBe(422);
    expect(nameless.body.errors.map((e: { path: string }) => e.path)).toContain('name');
    const taken = await admin('POST', '/api/v1/data-planes', { kind: 'onprem', name: 'Basement rack' });
    expect(taken.status).toBe(409);
    expect(taken.body.detail).toContain(created.dataPlane.id);
  });

  it('the single-host form needs the data plane’s own Postgres and Redis from the environment', async () => {
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
    const attempt = runInstallForm(created.install.node, env);
    expect(await attempt.exited).not.toBe(0);
    expect(attempt.logs.join('\n')).toContain('DATABASE_URL');
  });

  it('starts from the single-host form run as given, connects out, enrolls with the token and shows as connected', async () => {
    onprem = await startFromInstallForm(created.install.node, { publicUrl });
    // Connected once it calls in (enrolling, pulling commands); the queue depth comes with its first heartbeat.
    const plane = await eventually('the on-prem data plane to call in and send a heartbeat', async () => {
      const data = (await admin('GET', '/api/v1/data-planes')).body.data as { id: string; connection: string; queueDepth: number | null }[];
      return data.find((d) => d.id === created.dataPlane.id && d.connection === 'connected' && d.queueDepth !== null);
    }, 60_000);
    expect(plane).toMatchObject({ kind: 'onprem', status: 'active', publicUrl, version: expect.any(String), queueDepth: expect.any(Number), lastHeartbeatAt: expect.any(String) });
    // The token was for one use.
    expect((await gateway(gatewayPaths.enroll, { body: { token: created.enrollmentToken, version: 'x', publicUrl } })).status).toBe(401);
    expect(onprem.logs.join('\n')).not.toContain(created.enrollmentToken);
  }, 120_000);
});

describe('the same workflow on each kind of data plane', () => {
  it('runs unchanged on a shared and an on-prem data plane, each its own process set, and keeps each run on its own', async () => {
    const wf = await admin('POST', '/api/v1/workflows', {
      name: `everywhere-${counter++}`,
      nodes: [
        { id: 'double', type: 'script', language: 'javascript', code: 'export default (input) => ({ n: input.n * 2, tag: input.tag })' },
        { id: 'label', type: 'transform', expression: "{ 'n': n + 1, 'tag': tag }" },
      ],
      edges: [{ from: 'double', to: 'label' }],
    });
    expect(wf.status, JSON.stringify(wf.body)).toBe(201);
    const onShared = await runOn(wf.body.id, 'dp_shared_onprem_suite', { n: 20, tag: 'shared' });
    const onPrem = await runOn(wf.body.id, created.dataPlane.id, { n: 20, tag: 'onprem' });
    expect(onShared.run).toMatchObject({ status: 'succeeded', dataPlaneId: 'dp_shared_onprem_suite', region: 'eu-local' });
    expect(onPrem.run).toMatchObject({ status: 'succeeded', dataPlaneId: created.dataPlane.id, region: 'onprem', workflowVersion: onShared.run.workflowVersion });
    expect(onShared.data.output).toEqual({ n: 41, tag: 'shared' });
    expect(onPrem.data.output).toEqual({ n: 41, tag: 'onprem' });
    // Each run's data is served by, and stored in, its own data plane only.
    expect(new URL(onPrem.run.links.data).origin).toBe(new URL(onprem!.url).origin);
    expect(new URL(onShared.run.links.data).origin).toBe(new URL(shared.url).origin);
    const onpremDb = dataPlaneDatabase(onprem!.databaseUrl);
    const sharedDb = dataPlaneDatabase(shared.databaseUrl);
    try {
      expect(await onpremDb.query('SELECT id FROM "Run" WHERE id = ANY($1)', [[onShared.run.id, onPrem.run.id]])).toEqual([{ id: onPrem.run.id }]);
      expect(await sharedDb.query('SELECT id FROM "Run" WHERE id = ANY($1)', [[onShared.run.id, onPrem.run.id]])).toEqual([{ id: onShared.run.id }]);
    } finally {
      await onpremDb.close();
      await sharedDb.close();
    }
  }, 120_000);

  it.skipIf(!process.env.TEST_DATABASE_URL)('runs the same workflow unchanged on a dedicated data plane (local driver), its own process set', async () => {
    const region = await dedicated!.provision(cp, admin, tenantId);
    const wf = (await admin('GET', `/api/v1/workflows?limit=200`)).body.data.find((w: { name: string }) => w.name.startsWith('everywhere-'));
    const onDedicated = await runOn(wf.id, region.dataPlaneId, { n: 20, tag: 'dedicated' });
    expect(onDedicated.run).toMatchObject({ status: 'succeeded', dataPlaneId: region.dataPlaneId, region: 'eu-local' });
    expect(onDedicated.data.output).toEqual({ n: 41, tag: 'dedicated' });
    expect(new URL(onDedicated.run.links.data).origin).toBe(new URL(region.publicUrl).origin);
    // Back to the shared data plane, so the partition test below pins where it means to.
    expect((await admin('POST', `/api/v1/workflows/${wf.id}/deployments`, { environment: 'development', dataPlaneId: 'dp_shared_onprem_suite' })).status).toBe(201);
  }, 180_000);
});

describe('a partition between the control plane and an on-prem data plane', () => {
  it('keeps serving webhooks and schedules while the control plane is down, and on reconnection all 1,000 runs arrive once with their final status', async () => {
    const RUNS = 1000;
    const dataPlaneId = created.dataPlane.id;
    // Webhooks and schedules are served where the default environment's deployment is pinned.
    const pinnedOnPrem = async (document: Record<string, unknown>) => {
      const wf = await admin('POST', '/api/v1/workflows', document);
      expect(wf.status, JSON.stringify(wf.body)).toBe(201);
      expect((await admin('POST', `/api/v1/workflows/${wf.body.id}/deployments`, { environment: 'development', dataPlaneId })).status).toBe(201);
      return (await admin('GET', `/api/v1/workflows/${wf.body.id}`)).body;
    };
    const hook = { body: await pinnedOnPrem({ name: `partition-hook-${counter++}`, nodes: [{ id: 'sum', type: 'transform', expression: "{ 'n': body.n, 'double': body.n * 2 }" }] }) };
    const tick = { body: await pinnedOnPrem({ name: `partition-tick-${counter++}`, triggers: { schedule: { cron: '* * * * * *' } }, nodes: [{ id: 'echo', type: 'transform', expression: '$' }] }) };
    const hookUrl: string = hook.body.links.webhook;
    expect(new URL(hookUrl).origin).toBe(new URL(onprem!.url).origin);

    const dpDb = dataPlaneDatabase(onprem!.databaseUrl);
    try {
      await eventually('the hook and the schedule on the data plane', async () => {
        const [hooks] = await dpDb.query<{ n: string }>('SELECT count(*) AS n FROM "Webhook" WHERE "workflowId" = $1', [hook.body.id]);
        const [schedules] = await dpDb.query<{ n: string }>('SELECT count(*) AS n FROM "Schedule" WHERE "workflowId" = $1', [tick.body.id]);
        return Number(hooks!.n) === 1 && Number(schedules!.n) === 1;
      }, 60_000);

      // The control plane goes away: connections are refused.
      await cp.stopListener();
      const cutAt = new Date();
      await expect(fetch(`${cp.url}/api/v1/me`)).rejects.toThrow();

      // 1,000 deliveries, 16 at a time; a delivery that fails in transit is sent again with the
      // same delivery id, which the data plane turns into one run only.
      const runIds = new Map<number, string>();
      let next = 0;
      const sender = async () => {
        while (next < RUNS) {
          const i = next++;
          for (let attempt = 0; ; attempt++) {
            const res = await fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-delivery': `partition-${i}` }, body: JSON.stringify({ n: i }) }).catch((err: unknown) => err as Error);
            if (!(res instanceof Error) && (res.status === 202 || res.status === 200)) {
              runIds.set(i, ((await res.json()) as { runId: string }).runId);
              break;
            }
            if (attempt >= 5) throw new Error(`delivery ${i} failed: ${res instanceof Error ? res.message : res.status}`);
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, sender));
      const ids = new Set(runIds.values());
      expect(ids.size).toBe(RUNS);

      // Cut off, the data plane runs them all to the end and keeps their events.
      await eventually('the data plane to finish every run while cut off', async () => {
        const [row] = await dpDb.query<{ n: string }>(`SELECT count(*) AS n FROM "Run" WHERE "workflowId" = $1 AND status = 'succeeded'`, [hook.body.id]);
        return Number(row!.n) === RUNS;
      }, 600_000);
      const scheduledWhileCut = await eventually('scheduled runs while cut off', async () => {
        const rows = await dpDb.query<{ id: string }>('SELECT id FROM "Run" WHERE "workflowId" = $1 AND "createdAt" > $2', [tick.body.id, cutAt]);
        return rows.length >= 2 ? rows.map((r) => r.id) : undefined;
      });
      const [buffered] = await dpDb.query<{ n: string }>('SELECT count(*) AS n FROM "OutboxEvent" WHERE "sentAt" IS NULL');
      expect(Number(buffered!.n)).toBeGreaterThanOrEqual(RUNS);
      expect(await cp.db.run.count({ where: { workflowId: hook.body.id } })).toBe(0);

      // The control plane comes back on the same address; the data plane reconnects by itself.
      await cp.startListener();
      await eventually('every run in the control plane, finished', async () => {
        const done = await cp.db.run.count({ where: { workflowId: hook.body.id, status: 'succeeded' } });
        return done === RUNS;
      }, 600_000);
      await eventually('the outbox to drain', async () => {
        const [left] = await dpDb.query<{ n: string }>(`SELECT count(*) AS n FROM "OutboxEvent" WHERE "sentAt" IS NULL AND payload->>'runId' = ANY($1)`, [[...ids]]);
        return Number(left!.n) === 0;
      }, 120_000);

      // Exactly once: the 1,000 runs the webhooks started, each once, each finished, each announced once.
      const runs = await cp.db.run.findMany({ where: { workflowId: hook.body.id }, include: { nodes: true } });
      expect(runs).toHaveLength(RUNS);
      expect(new Set(runs.map((r) => r.id))).toEqual(ids);
      expect(runs.every((r) => r.status === 'succeeded' && r.trigger === 'webhook' && r.dataPlaneId === dataPlaneId && r.finishedAt)).toBe(true);
      expect(runs.every((r) => r.nodes.length === 1 && r.nodes[0]!.status === 'succeeded')).toBe(true);
      const announced = await cp.db.auditEvent.groupBy({ by: ['targetId'], where: { action: 'run.started', targetId: { in: [...ids] } }, _count: { _all: true } });
      expect(announced).toHaveLength(RUNS);
      expect(announced.every((a) => a._count._all === 1)).toBe(true);
      // Every event of these runs was shipped and applied once: one receipt per outbox event.
      const events = await dpDb.query<{ id: string; sent: boolean }>(`SELECT id, "sentAt" IS NOT NULL AS sent FROM "OutboxEvent" WHERE payload->>'runId' = ANY($1)`, [[...ids]]);
      expect(events.length).toBeGreaterThanOrEqual(2 * RUNS);
      expect(events.filter((e) => !e.sent)).toEqual([]);
      expect(await cp.db.dataPlaneEventReceipt.count({ where: { dataPlaneId, eventId: { in: events.map((e) => e.id) } } })).toBe(events.length);

      // The schedule kept ticking while cut off, and those runs arrived too.
      await eventually('the scheduled runs in the control plane', async () => (await cp.db.run.count({ where: { id: { in: scheduledWhileCut } } })) === scheduledWhileCut.length, 60_000);

      // The console's view converges: connected again, queue drained.
      await eventually('the data plane shown connected again', async () => {
        const data = (await admin('GET', '/api/v1/data-planes')).body.data as { id: string; connection: string; queueDepth: number }[];
        return data.find((d) => d.id === dataPlaneId && d.connection === 'connected');
      }, 60_000);
      // Stop the schedule: a version without it, deployed where it runs.
      expect((await admin('PUT', `/api/v1/workflows/${tick.body.id}`, { name: tick.body.name, nodes: [{ id: 'echo', type: 'transform', expression: '$' }] })).status).toBe(200);
      expect((await admin('POST', `/api/v1/workflows/${tick.body.id}/deployments`, { environment: 'development' })).status).toBe(201);
    } finally {
      await cp.startListener();
      await dpDb.close();
    }
  }, 1_500_000);
});

describe('enrollment tokens and revocation', () => {
  it('a new enrollment token replaces the unused one, and comes with install instructions', async () => {
    const first = await newOnPrem(`reissue-${counter++}`);
    const again = await admin('POST', `/api/v1/data-planes/${first.dataPlane.id}/enrollment-token`, { publicUrl: 'https://dp.example.internal' });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.enrollmentToken).not.toBe(first.enrollmentToken);
    expect(again.body.install.node).toContain(again.body.enrollmentToken);
    expect(again.body.install.node).toContain('PUBLIC_URL=https://dp.example.internal');
    expect((await gateway(gatewayPaths.enroll, { body: { token: first.enrollmentToken, version: 'x', publicUrl: 'http://127.0.0.1:9' } })).status).toBe(401);
    await enroll(again.body.enrollmentToken);
    const audit = await admin('GET', '/api/v1/audit?action=data_plane.enrollment_token_issued');
    expect(audit.body.data[0]).toMatchObject({ target: { id: first.dataPlane.id } });
    expect(JSON.stringify(audit.body)).not.toContain(again.body.enrollmentToken);
    expect(await findInControlPlane(cp, again.body.enrollmentToken)).toEqual([]);
    // A shared data plane is not the tenant's to manage.
    expect((await admin('POST', '/api/v1/data-planes/dp_shared_onprem_suite/enrollment-token')).status).toBe(404);
    expect((await admin('POST', '/api/v1/data-planes/dp_shared_onprem_suite/revoke')).status).toBe(404);
  });

  it('refuses a revoked data plane at once: its long-poll ends, every call gets 401, and it never gets what was queued for it', async () => {
    const { dataPlane, enrollmentToken } = await newOnPrem(`revoked-${counter++}`);
    const credential = await enroll(enrollmentToken);
    expect((await gateway(gatewayPaths.heartbeat, { credential, body: { version: 'test', queueDepth: 0 } })).status).toBe(200);
    // A run pinned to it that it will never report on.
    const pinned = await admin('POST', '/api/v1/workflows', { name: `stranded-${counter++}`, nodes: [{ id: 'echo', type: 'transform', expression: '$' }] });
    expect((await admin('POST', `/api/v1/workflows/${pinned.body.id}/deployments`, { environment: 'development', dataPlaneId: dataPlane.id })).status).toBe(201);
    const stranded = await admin('POST', `/api/v1/workflows/${pinned.body.id}/runs`, { input: {}, environment: 'development' });
    expect(stranded.status).toBe(202);
    // It takes the run's commands (and will never report on the run).
    const pulled = (await (await gateway(`${gatewayPaths.commands}?wait=0`, { credential })).json()) as { commands: { id: string }[] };
    expect(pulled.commands.length).toBeGreaterThan(0);
    expect((await gateway(gatewayPaths.ack, { credential, body: { ids: pulled.commands.map((c) => c.id) } })).status).toBe(200);

    // A long-poll held open, waiting for commands.
    const heldSince = Date.now();
    const held = gateway(`${gatewayPaths.commands}?wait=30`, { credential });
    await new Promise((r) => setTimeout(r, 500));
    const revoked = await admin('POST', `/api/v1/data-planes/${dataPlane.id}/revoke`);
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body).toMatchObject({ id: dataPlane.id, status: 'revoked', connection: 'revoked' });
    const answer = await held;
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    // Ended by the revocation, not by the 30 s wait running out.
    expect(Date.now() - heldSince).toBeLessThan(20_000);

    for (const [pathname, body] of [
      [gatewayPaths.commands, undefined],
      [gatewayPaths.ack, { ids: ['cmd_x'] }],
      [gatewayPaths.events, { events: [] }],
      [gatewayPaths.heartbeat, { version: 'test', queueDepth: 0 }],
    ] as const) {
      const res = await gateway(pathname, { credential, body });
      expect(res.status, pathname).toBe(401);
    }
    expect((await gateway(gatewayPaths.enroll, { body: { token: enrollmentToken, version: 'x', publicUrl: 'http://127.0.0.1:9' } })).status).toBe(401);
    expect((await admin('POST', `/api/v1/data-planes/${dataPlane.id}/enrollment-token`)).status).toBe(409);
    const twice = await admin('POST', `/api/v1/data-planes/${dataPlane.id}/revoke`);
    expect(twice.status).toBe(200);
    expect((await admin('GET', '/api/v1/data-planes')).body.data).toContainEqual(expect.objectContaining({ id: dataPlane.id, status: 'revoked', connection: 'revoked' }));
    const audit = await cp.db.auditEvent.findMany({ where: { action: 'data_plane.revoked', targetId: dataPlane.id } });
    expect(audit).toHaveLength(1);
    // Its unfinished runs end, saying why, instead of staying queued for ever.
    expect((await admin('GET', `/api/v1/runs/${stranded.body.id}`)).body).toMatchObject({ status: 'failed', error: { class: 'DataPlaneRevoked' } });
    expect(audit[0]!.after).toMatchObject({ runsFailed: 1 });
    // A revoked data plane takes no new work.
    const wf = await admin('POST', '/api/v1/workflows', { name: `after-revoke-${counter++}`, nodes: [{ id: 'echo', type: 'transform', expression: '$' }] });
    expect((await admin('POST', `/api/v1/workflows/${wf.body.id}/deployments`, { environment: 'development', dataPlaneId: dataPlane.id })).status).toBe(422);
  });

  it('erases what was queued for a data plane when it is revoked before collecting it', async () => {
    const { dataPlane, enrollmentToken } = await newOnPrem(`queued-${counter++}`);
    const credential = await enroll(enrollmentToken);
    const wf = await admin('POST', '/api/v1/workflows', { name: `queued-${counter++}`, nodes: [{ id: 'echo', type: 'transform', expression: '$' }] });
    expect((await admin('POST', `/api/v1/workflows/${wf.body.id}/deployments`, { environment: 'development', dataPlaneId: dataPlane.id })).status).toBe(201);
    const marker = `queued-marker-${Math.random().toString(36).slice(2)}`;
    const started = await admin('POST', `/api/v1/workflows/${wf.body.id}/runs`, { input: { marker }, environment: 'development' });
    expect(started.status).toBe(202);
    expect(await findInControlPlane(cp, marker)).toEqual(['table DataPlaneCommand']);
    const revoked = await admin('POST', `/api/v1/data-planes/${dataPlane.id}/revoke`);
    expect(revoked.body.undeliveredCommands).toBeGreaterThanOrEqual(1);
    expect(await findInControlPlane(cp, marker)).toEqual([]);
    expect((await gateway(`${gatewayPaths.commands}?wait=0`, { credential })).status).toBe(401);
  });

  it('the data plane started from the install form is refused once revoked, and says so', async () => {
    const dataPlaneId = created.dataPlane.id;
    expect((await admin('POST', `/api/v1/data-planes/${dataPlaneId}/revoke`)).status).toBe(200);
    await eventually('the data plane to report the refusal', async () => onprem!.logs.some((line) => line.includes('refused this data plane')), 60_000);
    const before = (await cp.db.dataPlane.findUniqueOrThrow({ where: { id: dataPlaneId } })).lastSeenAt;
    await new Promise((r) => setTimeout(r, 2_000));
    const after = await cp.db.dataPlane.findUniqueOrThrow({ where: { id: dataPlaneId } });
    expect(after.lastSeenAt).toEqual(before);
    expect(after.status).toBe('revoked');
  }, 90_000);
});
