import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CommandEnvelope, EnrollRequest, EventEnvelope, HeartbeatRequest } from '@orvanta/protocol';
import type { Actor } from '../auth/actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db, Tx } from '../db/client.ts';
import { Prisma } from '../db/client.ts';
import type { DataPlane } from '../db/generated/client.ts';
import { AppError } from '../errors.ts';
import { applyRunEvent } from '../runs/events.ts';
import { waitForCommands } from './outbox.ts';

const ENROLLMENT_TTL_MS = 24 * 60 * 60 * 1000;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const secret = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;

export type DataPlaneKind = 'shared' | 'dedicated' | 'onprem';

export interface DataPlaneSpec {
  id: string;
  name: string;
  kind: DataPlaneKind;
  region: string;
  tenantId?: string | null;
}

/**
 * Creates the data plane if it does not exist and issues a fresh one-time enrollment
 * token (any earlier unused token stops working). Returns the token: it is not stored.
 */
export async function issueEnrollmentToken(
  db: Db,
  spec: DataPlaneSpec,
  actor: Actor | { type: 'system' },
): Promise<{ dataPlane: DataPlane; enrollmentToken: string; expiresAt: Date }> {
  const enrollmentToken = secret('orvdp_enroll_');
  const expiresAt = new Date(Date.now() + ENROLLMENT_TTL_MS);
  const token = { enrollmentTokenHash: sha256(enrollmentToken), enrollmentExpiresAt: expiresAt };
  const dataPlane = await db.$transaction(async (tx) => {
    const existing = await tx.dataPlane.findUnique({ where: { id: spec.id } });
    const row = existing
      ? await tx.dataPlane.update({ where: { id: spec.id }, data: token })
      : await tx.dataPlane.create({ data: { ...spec, tenantId: spec.tenantId ?? null, ...token } });
    await recordAudit(tx, {
      tenantId: spec.tenantId ?? null,
      actor,
      action: existing ? 'data_plane.enrollment_token_issued' : 'data_plane.created',
      target: { type: 'data_plane', id: spec.id },
      after: { name: row.name, kind: row.kind, region: row.region, status: row.status },
    });
    return row;
  });
  return { dataPlane, enrollmentToken, expiresAt };
}

/** Exchanges a one-time enrollment token for the data plane's own credential. */
export async function enrollDataPlane(db: Db, request: EnrollRequest): Promise<{ dataPlane: DataPlane; credential: string }> {
  const credential = secret('orvdp_');
  return db.$transaction(async (tx) => {
    const dataPlane = await tx.dataPlane.findUnique({ where: { enrollmentTokenHash: sha256(request.token) } });
    if (!dataPlane || !dataPlane.enrollmentExpiresAt || dataPlane.enrollmentExpiresAt <= new Date() || dataPlane.status === 'revoked') {
      throw new AppError('unauthenticated', 'Enrollment refused', 'The enrollment token is invalid, expired or already used. Ask an admin for a new one.');
    }
    const updated = await tx.dataPlane.update({
      where: { id: dataPlane.id },
      data: {
        // A re-enrollment replaces the old credential, which stops working at once.
        credentialHash: sha256(credential),
        enrollmentTokenHash: null,
        enrollmentExpiresAt: null,
        status: 'active',
        enrolledAt: new Date(),
        lastSeenAt: new Date(),
        version: request.version,
        publicUrl: request.publicUrl,
      },
    });
    await recordAudit(tx, {
      tenantId: dataPlane.tenantId,
      actor: { type: 'data_plane', id: dataPlane.id },
      action: 'data_plane.enrolled',
      target: { type: 'data_plane', id: dataPlane.id },
      before: { status: dataPlane.status },
      after: { status: 'active', version: request.version, publicUrl: request.publicUrl },
    });
    return { dataPlane: updated, credential };
  });
}

const refused = () => new AppError('unauthenticated', 'Data plane not recognised', 'The data-plane credential is invalid or revoked. Enroll again with a new token.');

/** Resolves a data plane from its `Authorization: Bearer` credential, or throws 401. */
export async function authenticateDataPlane(db: Db, request: Request): Promise<DataPlane> {
  const match = /^Bearer\s+(orvdp_\S+)$/.exec(request.headers.get('authorization') ?? '');
  const dataPlane = match ? await db.dataPlane.findUnique({ where: { credentialHash: sha256(match[1]!) } }) : null;
  if (!dataPlane || dataPlane.status !== 'active') throw refused();
  return dataPlane;
}

/**
 * Revocation inside this process: ends the long-polls a revoked data plane holds here at once.
 * Other replicas' long-polls end at their next re-check, and `assertStillActive` keeps them
 * from delivering anything after the revocation.
 */
const revocations = new EventEmitter();
revocations.setMaxListeners(0);

/** Called after a revocation commits. */
export function announceRevocation(dataPlaneId: string): void {
  revocations.emit(dataPlaneId);
}

/** A signal that aborts when `signal` does or when this data plane is revoked; call `dispose` when done. */
export function untilRevoked(dataPlaneId: string, signal?: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  revocations.once(dataPlaneId, abort);
  signal?.addEventListener('abort', abort, { once: true });
  if (signal?.aborted) abort();
  return {
    signal: controller.signal,
    dispose: () => {
      revocations.off(dataPlaneId, abort);
      signal?.removeEventListener('abort', abort);
    },
  };
}

/** Throws 401 if the data plane was revoked since its request was authenticated. */
export async function assertStillActive(db: Db | Tx, dataPlaneId: string): Promise<void> {
  const current = await db.dataPlane.findUnique({ where: { id: dataPlaneId }, select: { status: true } });
  if (current?.status !== 'active') throw refused();
}

const RECHECK_MS = 1000;

interface PendingCommand {
  seq: bigint;
  id: string;
  createdAt: Date;
  type: string;
  payload: unknown;
  customerData: unknown;
}

/**
 * Up to `limit` unacknowledged commands, dealt round robin across tenants: each tenant's
 * oldest first, then each one's second, and so on (ties by seq). A tenant's own commands
 * keep their seq order — a secret.put before the run that reads it, a run.start before its
 * cancel — while a tenant with thousands queued no longer holds back another's next one.
 * Commands of different tenants never depend on each other, so nothing needs the global order.
 *
 * Index-driven (DataPlaneCommand(dataPlaneId, ackedAt, tenantId, seq)): a skip scan finds the
 * tenants with pending commands, then at most `limit` of each tenant's oldest are read, so a
 * poll costs O(tenants × limit), not O(backlog). The ORDER BYs name "ackedAt" (all NULL here)
 * because Postgres does not treat `IS NULL` as an equality when matching an index's order.
 */
function pendingCommands(db: Db, dataPlaneId: string, limit: number): Promise<PendingCommand[]> {
  return db.$queryRaw<PendingCommand[]>`
    WITH RECURSIVE tenants AS (
      (SELECT "tenantId" FROM "DataPlaneCommand"
        WHERE "dataPlaneId" = ${dataPlaneId} AND "ackedAt" IS NULL
        ORDER BY "ackedAt", "tenantId" LIMIT 1)
      UNION ALL
      SELECT (SELECT c."tenantId" FROM "DataPlaneCommand" c
               WHERE c."dataPlaneId" = ${dataPlaneId} AND c."ackedAt" IS NULL AND c."tenantId" > t."tenantId"
               ORDER BY c."ackedAt", c."tenantId" LIMIT 1)
        FROM tenants t WHERE t."tenantId" IS NOT NULL
    ),
    dealt AS (
      SELECT head.seq, row_number() OVER (PARTITION BY t."tenantId" ORDER BY head.seq) AS turn
        FROM tenants t
        CROSS JOIN LATERAL (
          SELECT c.seq FROM "DataPlaneCommand" c
           WHERE c."dataPlaneId" = ${dataPlaneId} AND c."ackedAt" IS NULL AND c."tenantId" = t."tenantId"
           ORDER BY c."ackedAt", c.seq LIMIT ${limit}
        ) head
       WHERE t."tenantId" IS NOT NULL
       ORDER BY turn, head.seq
       LIMIT ${limit}
    )
    SELECT c."seq", c."id", c."createdAt", c."type", c."payload", c."customerData"
      FROM dealt JOIN "DataPlaneCommand" c ON c."seq" = dealt.seq
     ORDER BY dealt.turn, dealt.seq`;
}

/**
 * Long-poll: returns this data plane's unacknowledged commands (see `pendingCommands` for
 * the order), waiting up to `waitMs` for one to appear. Unacked commands are sent again on
 * the next poll; the data plane applies each id once.
 */
/**
 * Notes that the data plane called in, unless its row is locked: an event batch being applied
 * holds it (FOR SHARE, so a revocation waits for the batch) and marks it seen when it ends.
 * Waiting for that lock held every command pull behind the event batch in flight, up to
 * seconds while a tenant floods its data plane.
 */
async function markSeen(db: Db, dataPlaneId: string): Promise<void> {
  await db.$executeRaw`
    UPDATE "DataPlane" SET "lastSeenAt" = ${new Date()}
    WHERE "id" = (SELECT "id" FROM "DataPlane" WHERE "id" = ${dataPlaneId} FOR NO KEY UPDATE SKIP LOCKED)`;
}

export async function pullCommands(
  db: Db,
  dataPlane: DataPlane,
  options: { waitMs: number; limit: number; signal?: AbortSignal },
): Promise<CommandEnvelope[]> {
  const deadline = Date.now() + options.waitMs;
  await markSeen(db, dataPlane.id);
  for (;;) {
    const rows = await pendingCommands(db, dataPlane.id, options.limit);
    if (rows.length > 0) {
      await db.dataPlaneCommand.updateMany({
        where: { seq: { in: rows.map((r) => r.seq) }, deliveredAt: null },
        data: { deliveredAt: new Date() },
      });
      return rows.map(
        (r) =>
          ({
            id: r.id,
            seq: r.seq.toString(),
            createdAt: r.createdAt.toISOString(),
            type: r.type,
            payload: r.payload,
            customerData: r.customerData,
          }) as CommandEnvelope,
      );
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0 || options.signal?.aborted) return [];
    await waitForCommands(dataPlane.id, Math.min(remaining, RECHECK_MS), options.signal);
  }
}

/** Marks commands applied and erases the customer data they carried. */
export async function ackCommands(db: Db, dataPlane: DataPlane, ids: string[]): Promise<number> {
  const { count } = await db.dataPlaneCommand.updateMany({
    where: { dataPlaneId: dataPlane.id, id: { in: ids } },
    data: { ackedAt: new Date(), customerData: Prisma.DbNull },
  });
  return count;
}

/** Applies events once each, in the order given; returns the ids now applied. */
export async function applyEvents(db: Db, dataPlane: DataPlane, events: EventEnvelope[]): Promise<string[]> {
  const applyOne = async (tx: Tx, event: EventEnvelope) => {
    const receipt = await tx.dataPlaneEventReceipt.createMany({ data: [{ eventId: event.id, dataPlaneId: dataPlane.id }], skipDuplicates: true });
    if (receipt.count === 1) await applyRunEvent(tx, dataPlane, event);
  };
  // A revocation stops a batch: the data plane's row is read FOR SHARE, so a revocation waits
  // for the batch in flight, and nothing is applied once it has committed.
  const stillActive = async (tx: Tx) => {
    const [row] = await tx.$queryRaw<{ status: string }[]>`SELECT "status" FROM "DataPlane" WHERE "id" = ${dataPlane.id} FOR SHARE`;
    if (row?.status !== 'active') await assertStillActive(tx, dataPlane.id);
  };
  try {
    // One transaction for the batch (one commit instead of one per event, which is what limits
    // how fast a busy data plane's events land).
    await db.$transaction(
      async (tx) => {
        await stillActive(tx);
        // The batch's runs are locked first, in id order, as a bulk cancel locks them: taken in
        // event order they could deadlock with it.
        const runIds = [...new Set(events.map((e) => e.payload.runId))].sort();
        await tx.$queryRaw`SELECT "id" FROM "Run" WHERE "id" = ANY(${runIds}) ORDER BY "id" FOR UPDATE`;
        // The batch's receipts in one statement: what comes back is what is new (a redelivered
        // event has its receipt already and is skipped), each applied once.
        const receipts = await tx.dataPlaneEventReceipt.createManyAndReturn({ data: events.map((e) => ({ eventId: e.id, dataPlaneId: dataPlane.id })), skipDuplicates: true, select: { eventId: true } });
        const fresh = new Set(receipts.map((r) => r.eventId));
        for (const event of events) {
          if (!fresh.delete(event.id)) continue;
          await applyRunEvent(tx, dataPlane, event);
        }
      },
      { timeout: 30_000, maxWait: 10_000 },
    );
  } catch (err) {
    if (err instanceof AppError) throw err;
    // One event the batch could not take must not hold back the others: one by one.
    for (const event of events) {
      await db.$transaction(async (tx) => {
        await stillActive(tx);
        await applyOne(tx, event);
      });
    }
  }
  await markSeen(db, dataPlane.id);
  return events.map((e) => e.id);
}

export async function recordHeartbeat(db: Db, dataPlane: DataPlane, heartbeat: HeartbeatRequest): Promise<void> {
  await db.dataPlane.update({
    where: { id: dataPlane.id },
    data: {
      lastSeenAt: new Date(),
      version: heartbeat.version,
      queueDepth: heartbeat.queueDepth,
      ...(heartbeat.publicUrl ? { publicUrl: heartbeat.publicUrl } : {}),
    },
  });
}
