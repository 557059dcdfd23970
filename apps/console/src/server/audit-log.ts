import type { CallContext } from './auth/actor.ts';
import { authorize } from './auth/authorize.ts';
import type { Db } from './db/client.ts';
import type { AuditEvent, Prisma } from './db/generated/client.ts';
import { AppError } from './errors.ts';

/** Reading the audit trail: filtered pages for the console and API, and full exports. */

export interface AuditFilter {
  /** `user:<id>`, `api_key:<id>`, `system`, `data_plane:<id>`, or a person's email. */
  actor?: string;
  /** An exact action, or a prefix ending in "." (`member.`). */
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
}

async function whereFor(db: Db, tenantId: string, filter: AuditFilter): Promise<Prisma.AuditEventWhereInput> {
  const where: Prisma.AuditEventWhereInput = { chain: tenantId };
  if (filter.actor) {
    const actor = filter.actor.trim();
    if (actor.includes('@')) {
      const user = await db.user.findUnique({ where: { email: actor.toLowerCase() }, select: { id: true } });
      Object.assign(where, { actorType: 'user', actorId: user?.id ?? '-' });
    } else {
      const [type, id] = actor.split(':', 2);
      Object.assign(where, { actorType: type, ...(id ? { actorId: id } : {}) });
    }
  }
  if (filter.action) where.action = filter.action.endsWith('.') ? { startsWith: filter.action } : filter.action;
  if (filter.targetType) where.targetType = filter.targetType;
  if (filter.targetId) where.targetId = filter.targetId;
  if (filter.from || filter.to) where.createdAt = { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lte: filter.to } : {}) };
  return where;
}

function decodeSeqCursor(cursor: string | undefined): bigint | undefined {
  if (!cursor) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^seq:\d+$/.test(text)) {
    throw new AppError('validation_failed', 'Invalid cursor', 'The cursor is not one this API returned. Start again without it.', { errors: [{ path: 'cursor', message: 'not a cursor returned by this API' }] });
  }
  return BigInt(text.slice(4));
}
const encodeSeqCursor = (seq: bigint) => Buffer.from(`seq:${seq}`).toString('base64url');

export type AuditRow = AuditEvent & { actorEmail: string | null };

async function withEmails(db: Db, rows: AuditEvent[]): Promise<AuditRow[]> {
  const ids = [...new Set(rows.filter((r) => r.actorType === 'user' && r.actorId).map((r) => r.actorId!))];
  const users = ids.length ? await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } }) : [];
  const email = new Map(users.map((u) => [u.id, u.email]));
  return rows.map((r) => ({ ...r, actorEmail: r.actorType === 'user' && r.actorId ? (email.get(r.actorId) ?? null) : null }));
}

/** Newest first, by the chain's sequence number. */
export async function findAuditEvents(db: Db, call: CallContext, filter: AuditFilter & { cursor?: string; limit: number }) {
  authorize(call.actor, 'audit.read');
  const before = decodeSeqCursor(filter.cursor);
  const where = await whereFor(db, call.actor.tenantId, filter);
  if (before !== undefined) where.seq = { lt: before };
  const rows = await db.auditEvent.findMany({ where, orderBy: { seq: 'desc' }, take: filter.limit + 1 });
  const items = await withEmails(db, rows.slice(0, filter.limit));
  return { items, nextCursor: rows.length > filter.limit ? encodeSeqCursor(items.at(-1)!.seq) : null };
}

/** Every matching event, oldest first, in batches: for JSON Lines and CSV exports. */
export async function* exportAuditEvents(db: Db, call: CallContext, filter: AuditFilter): AsyncGenerator<AuditRow> {
  authorize(call.actor, 'audit.read');
  const where = await whereFor(db, call.actor.tenantId, filter);
  let after = 0n;
  for (;;) {
    const rows = await db.auditEvent.findMany({ where: { ...where, seq: { gt: after } }, orderBy: { seq: 'asc' }, take: 500 });
    if (rows.length === 0) return;
    yield* await withEmails(db, rows);
    after = rows.at(-1)!.seq;
  }
}

export function presentAuditEvent(e: AuditRow) {
  return {
    id: e.id,
    seq: Number(e.seq),
    action: e.action,
    actor: { type: e.actorType, id: e.actorId, ...(e.actorEmail ? { email: e.actorEmail } : {}) },
    target: { type: e.targetType, id: e.targetId },
    before: e.before ?? null,
    after: e.after ?? null,
    ip: e.ip,
    userAgent: e.userAgent,
    requestId: e.requestId,
    createdAt: e.createdAt.toISOString(),
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

export const AUDIT_CSV_COLUMNS = ['seq', 'id', 'createdAt', 'actorType', 'actorId', 'actorEmail', 'action', 'targetType', 'targetId', 'ip', 'userAgent', 'requestId', 'before', 'after', 'prevHash', 'hash'] as const;

/** One CSV cell: quoted when needed, and never a formula a spreadsheet would run. */
function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function auditCsvRow(e: AuditRow): string {
  const p = presentAuditEvent(e);
  const values: Record<(typeof AUDIT_CSV_COLUMNS)[number], unknown> = {
    seq: p.seq,
    id: p.id,
    createdAt: p.createdAt,
    actorType: p.actor.type,
    actorId: p.actor.id,
    actorEmail: e.actorEmail,
    action: p.action,
    targetType: p.target.type,
    targetId: p.target.id,
    ip: p.ip,
    userAgent: p.userAgent,
    requestId: p.requestId,
    before: p.before,
    after: p.after,
    prevHash: p.prevHash,
    hash: p.hash,
  };
  return AUDIT_CSV_COLUMNS.map((c) => csvCell(values[c])).join(',');
}
