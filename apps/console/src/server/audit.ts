import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { newId } from '@orvanta/protocol';
import type { Actor, RequestMeta } from './auth/actor.ts';
import type { Db, Tx } from './db/client.ts';
import { Prisma } from './db/client.ts';

/**
 * The audit trail. Every state change writes one event in the same transaction as the
 * change. Events form one hash chain per tenant (`chain` = tenant id, or "global" for
 * events that belong to no tenant, such as a failed sign-in):
 *
 *   hash = SHA-256( canonical JSON (RFC 8785) of the event's fields + prevHash )
 *
 * `AuditChainHead` holds the last link; appending locks it, so a chain stays linear however
 * many control-plane replicas write. `verifyAuditChain` recomputes every link and reports
 * the first that does not hold: an edited event, a removed one (a gap in `seq`), a cut-off
 * tail (the head no longer matches) or an event moved to another chain.
 *
 * A hash chain shows tampering by someone who cannot also rewrite every later hash and the
 * head; anchoring the head outside the database (e.g. periodic export) is what would make it
 * evidence against a database administrator.
 */

/** Who did it: a person, an API key, a data plane or the system itself. */
export type AuditActor = { type: Actor['type'] | 'system' | 'data_plane'; id?: string };

export interface AuditEntry {
  tenantId: string | null;
  actor: AuditActor;
  action: string;
  target: { type: string; id?: string | null };
  before?: unknown;
  after?: unknown;
  meta?: RequestMeta;
}

export const GLOBAL_CHAIN = 'global';
const GENESIS = '0'.repeat(64);
const SECRET_KEYS = /secret|password|token|credential|hash|privatejwk/i;

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    // A flag or a number under a secret-sounding name (`clientSecretChanged`) holds no secret.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) && typeof v !== 'boolean' && typeof v !== 'number' && v !== null ? '[redacted]' : redact(v)]));
  }
  return value;
}

/** The JSON value as it will read back from the database (dates as strings, no undefined). */
const storedJson = (value: unknown): Prisma.InputJsonValue | null =>
  value === undefined || value === null ? null : (JSON.parse(JSON.stringify(redact(value))) as Prisma.InputJsonValue);

/** The fields a link's hash covers, in the shape they have both when written and when read back. */
interface Linked {
  id: string;
  chain: string;
  seq: bigint;
  tenantId: string | null;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  createdAt: Date;
}

export function auditHash(event: Linked, prevHash: string): string {
  const body = canonicalize({
    v: 1,
    id: event.id,
    chain: event.chain,
    seq: event.seq.toString(),
    tenantId: event.tenantId,
    actorType: event.actorType,
    actorId: event.actorId,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId,
    before: event.before ?? null,
    after: event.after ?? null,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    createdAt: event.createdAt.toISOString(),
    prevHash,
  });
  return createHash('sha256').update(body!).digest('hex');
}

/**
 * Locks the chain's head for the rest of the transaction and returns it. A chain with
 * events from before hashing existed (migrated rows with an empty hash) is sealed first.
 */
async function lockHead(tx: Tx, chain: string): Promise<{ seq: bigint; hash: string }> {
  const select = () => tx.$queryRaw<{ seq: bigint; hash: string }[]>`
    SELECT "seq", "hash" FROM "AuditChainHead" WHERE "chain" = ${chain} FOR UPDATE`;
  // Usually the head exists: one statement. The first event of a chain creates it.
  const [existing] = await select();
  if (existing) return existing;
  const created = await tx.$queryRaw<{ chain: string }[]>`
    INSERT INTO "AuditChainHead" ("chain", "seq", "hash") VALUES (${chain}, 0, ${GENESIS})
    ON CONFLICT ("chain") DO NOTHING RETURNING "chain"`;
  if (created.length > 0) await sealLegacyEvents(tx, chain);
  const [head] = await select();
  return head!;
}

async function sealLegacyEvents(tx: Tx, chain: string): Promise<void> {
  const events = await tx.auditEvent.findMany({ where: { chain }, orderBy: { seq: 'asc' } });
  let prevHash = GENESIS;
  for (const event of events) {
    const hash = auditHash(event, prevHash);
    await tx.auditEvent.update({ where: { id: event.id }, data: { prevHash, hash } });
    prevHash = hash;
  }
  const last = events.at(-1);
  if (last) await tx.auditChainHead.update({ where: { chain }, data: { seq: last.seq, hash: prevHash } });
}

/** Appends an audit event inside the caller's transaction, so change and record commit together. */
export async function recordAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  const chain = entry.tenantId ?? GLOBAL_CHAIN;
  const head = await lockHead(tx, chain);
  const event: Linked = {
    id: newId('aud'),
    chain,
    seq: head.seq + 1n,
    tenantId: entry.tenantId,
    actorType: entry.actor.type,
    actorId: entry.actor.id ?? null,
    action: entry.action,
    targetType: entry.target.type,
    targetId: entry.target.id ?? null,
    before: storedJson(entry.before),
    after: storedJson(entry.after),
    ip: entry.meta?.ip ?? null,
    userAgent: entry.meta?.userAgent ?? null,
    requestId: entry.meta?.requestId ?? null,
    // Millisecond precision: what a timestamp(3) column gives back, so the hash recomputes.
    createdAt: new Date(),
  };
  const hash = auditHash(event, head.hash);
  await tx.auditEvent.create({
    data: {
      ...event,
      before: event.before === null ? Prisma.DbNull : (event.before as Prisma.InputJsonValue),
      after: event.after === null ? Prisma.DbNull : (event.after as Prisma.InputJsonValue),
      prevHash: head.hash,
      hash,
    },
  });
  await tx.auditChainHead.update({ where: { chain }, data: { seq: event.seq, hash } });
}

export interface ChainVerification {
  ok: boolean;
  /** Events whose link was checked. */
  checked: number;
  headSeq: number;
  firstBroken: { seq: number; id: string | null; reason: string } | null;
}

/** Recomputes a tenant's chain from the first event and reports the first broken link. */
export async function verifyAuditChain(db: Db, tenantId: string | null): Promise<ChainVerification> {
  const chain = tenantId ?? GLOBAL_CHAIN;
  const head = await db.$transaction((tx) => lockHead(tx, chain));
  const broken = (seq: bigint, id: string | null, reason: string, checked: number): ChainVerification => ({
    ok: false,
    checked,
    headSeq: Number(head.seq),
    firstBroken: { seq: Number(seq), id, reason },
  });

  let prevHash = GENESIS;
  let expected = 1n;
  let checked = 0;
  for (;;) {
    const batch = await db.auditEvent.findMany({ where: { chain, seq: { gte: expected, lte: head.seq } }, orderBy: { seq: 'asc' }, take: 1000 });
    if (batch.length === 0) break;
    for (const event of batch) {
      if (event.seq !== expected) {
        return broken(expected, null, `Event #${expected} is missing: the chain jumps from #${expected - 1n} to #${event.seq}.`, checked);
      }
      if (event.prevHash !== prevHash) {
        return broken(event.seq, event.id, `Event #${event.seq} does not link to the event before it (its previous hash was changed, or an event before it was replaced).`, checked);
      }
      if ((event.tenantId ?? GLOBAL_CHAIN) !== chain) {
        return broken(event.seq, event.id, `Event #${event.seq} was moved to another tenant.`, checked);
      }
      if (auditHash(event, prevHash) !== event.hash) {
        return broken(event.seq, event.id, `Event #${event.seq} was changed after it was written: its contents no longer match its hash.`, checked);
      }
      prevHash = event.hash;
      expected += 1n;
      checked += 1;
    }
  }
  if (expected - 1n !== head.seq) {
    return broken(expected, null, `Event #${expected} is missing: the chain's head is #${head.seq}, but the events stop at #${expected - 1n}.`, checked);
  }
  if (prevHash !== head.hash) {
    return broken(head.seq, null, `The last event #${head.seq} does not match the chain's recorded head: the end of the chain was rewritten.`, checked);
  }
  return { ok: true, checked, headSeq: Number(head.seq), firstBroken: null };
}
