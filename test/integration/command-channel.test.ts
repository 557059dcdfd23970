import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueCommand } from '../../apps/console/src/server/dataplanes/outbox.ts';
import type { EventEnvelope } from '@orvanta/protocol';
import { applyEvents, enrollDataPlane, pullCommands } from '../../apps/console/src/server/dataplanes/service.ts';
import { GatewayClient } from '../../services/dataplane/src/agent/gateway-client.ts';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { apiClient } from '../support/http.ts';

/**
 * The control plane's side of the data planes' channel. Events: each applied once. Commands, beside the event channel: a data plane flooded by one tenant ships
 * events in big batches, and each batch holds the data plane's row (FOR SHARE, so that a
 * revocation waits for it). A command pull must not wait behind that batch: another tenant's
 * run would start only once the flood's events had landed. Nor may a burst of API calls,
 * which holds every connection of the API's pool, hold up command delivery and acks.
 */
let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startTestControlPlane();
}, 60_000);
afterAll(async () => {
  await cp?.stop();
});

describe('the command channel', () => {
  it('hands out a command while an event batch of the same data plane is being applied', async () => {
    const token = await cp.dataPlane('dp_channel');
    const { dataPlane } = await enrollDataPlane(cp.db, { token, version: 'test', publicUrl: 'http://127.0.0.1:9' });
    const { tenantId } = await cp.tenant('channel-quiet', dataPlane.id);
    const seenBefore = (await cp.db.dataPlane.findUniqueOrThrow({ where: { id: dataPlane.id } })).lastSeenAt;

    // An event batch in flight, as applyEvents holds it.
    const batch = new pg.Client({ connectionString: cp.deps.config.DATABASE_URL });
    await batch.connect();
    let batchCommitted = false;
    try {
      await batch.query('BEGIN');
      await batch.query(`SELECT "status" FROM "DataPlane" WHERE "id" = $1 FOR SHARE`, [dataPlane.id]);
      const commandId = await cp.db.$transaction((tx) => enqueueCommand(tx, dataPlane.id, tenantId, { type: 'run.cancel', payload: { runId: 'run_elsewhere', tenantId } }));

      // The batch commits after 10 s at the latest, so a pull that waits for it still ends.
      const safety = setTimeout(() => void batch.query('COMMIT').then(() => (batchCommitted = true)), 10_000);
      const pulled = await pullCommands(cp.db, dataPlane, { waitMs: 0, limit: 10 });
      clearTimeout(safety);
      expect(batchCommitted).toBe(false);
      expect(pulled.map((c) => c.id)).toEqual([commandId]);
    } finally {
      if (!batchCommitted) await batch.query('COMMIT');
      await batch.end();
    }
    // Seen by the next call that finds the row free (the batch marks it when it ends).
    await pullCommands(cp.db, dataPlane, { waitMs: 0, limit: 10 });
    const seenAfter = (await cp.db.dataPlane.findUniqueOrThrow({ where: { id: dataPlane.id } })).lastSeenAt;
    expect(seenAfter?.getTime()).toBeGreaterThan(seenBefore?.getTime() ?? 0);
  });
});

/** Promise.withResolvers, which Node 20 lacks. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the event channel', () => {
  it('applies each event once, redelivered or repeated in a batch, and every later one', async () => {
    const token = await cp.dataPlane('dp_events');
    const { dataPlane } = await enrollDataPlane(cp.db, { token, version: 'test', publicUrl: 'http://127.0.0.1:9' });
    const { apiKey } = await cp.tenant('channel-events', dataPlane.id);
    const api = apiClient(cp.url, apiKey);
    const workflow = await api('POST', '/api/v1/workflows', { name: 'events', nodes: [{ id: 'a', type: 'transform', expression: '$' }], edges: [] });
    const run = await api('POST', `/api/v1/workflows/${workflow.body.id}/runs`, { input: {} });
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    const { id: runId, tenantId } = run.body as { id: string; tenantId: string };
    let seq = 0;
    const nodeEvent = (status: 'running' | 'succeeded', attempt: number): EventEnvelope =>
      ({ id: `evt_${runId}_${status}_${attempt}`, seq: String(++seq), occurredAt: new Date().toISOString(), type: 'node.status', payload: { runId, tenantId, at: new Date().toISOString(), nodeId: 'a', status, attempt } }) as EventEnvelope;
    const running = nodeEvent('running', 1);
    const retried = nodeEvent('running', 2);
    const succeeded = nodeEvent('succeeded', 2);

    expect(await applyEvents(cp.db, dataPlane, [running, running])).toEqual([running.id, running.id]);
    // Redelivered with what came after it: the new ones still apply.
    expect(await applyEvents(cp.db, dataPlane, [running, retried, succeeded])).toEqual([running.id, retried.id, succeeded.id]);
    const node = await cp.db.runNode.findFirstOrThrow({ where: { runId, nodeId: 'a' } });
    expect([node.status, node.attempts]).toEqual(['succeeded', 2]);
    expect(await cp.db.dataPlaneEventReceipt.count({ where: { eventId: { in: [running.id, retried.id, succeeded.id] } } })).toBe(3);
  });
});

describe('the command channel under API load', () => {
  it("delivers and acknowledges commands while every connection of the API's pool is taken", async () => {
    const busy = await startTestControlPlane({ DATABASE_POOL_MAX: 2, GATEWAY_POOL_MAX: 2 });
    const release = deferred();
    const holders: Promise<unknown>[] = [];
    try {
      const token = await busy.dataPlane('dp_busy');
      const client = new GatewayClient(busy.url, new AbortController().signal);
      client.credential = (await client.enroll({ token, version: 'test', publicUrl: 'http://127.0.0.1:9' })).credential;
      const { tenantId } = await busy.tenant('busy-quiet', 'dp_busy');
      const commandId = await busy.db.$transaction((tx) => enqueueCommand(tx, 'dp_busy', tenantId, { type: 'run.cancel', payload: { runId: 'run_elsewhere', tenantId } }));

      // Both connections of the API's pool held, as by a burst of API calls.
      const started = [deferred(), deferred()];
      for (const { resolve } of started) {
        holders.push(
          busy.db.$transaction(
            async () => {
              resolve();
              await release.promise;
            },
            { timeout: 60_000, maxWait: 60_000 },
          ),
        );
      }
      await Promise.all(started.map((s) => s.promise));
      let released = false;
      const safety = setTimeout(() => {
        released = true;
        release.resolve();
      }, 10_000);
      const { commands } = await client.pullCommands(0, 10);
      await client.ack([commandId]);
      clearTimeout(safety);
      expect(released).toBe(false);
      expect(commands.map((c) => c.id)).toEqual([commandId]);
      release.resolve();
      await Promise.all(holders);
      expect((await busy.db.dataPlaneCommand.findUniqueOrThrow({ where: { id: commandId } })).ackedAt).not.toBeNull();
    } finally {
      release.resolve();
      await Promise.allSettled(holders);
      await busy.stop();
    }
  }, 60_000);
});
