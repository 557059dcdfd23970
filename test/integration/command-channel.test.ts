import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueCommand } from '../../apps/console/src/server/dataplanes/outbox.ts';
import { enrollDataPlane, pullCommands } from '../../apps/console/src/server/dataplanes/service.ts';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';

/**
 * The command channel beside the event channel: a data plane flooded by one tenant ships
 * events in big batches, and each batch holds the data plane's row (FOR SHARE, so that a
 * revocation waits for it). A command pull must not wait behind that batch: another tenant's
 * run would start only once the flood's events had landed.
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
