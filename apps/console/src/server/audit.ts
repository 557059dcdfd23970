import type { Actor, RequestMeta } from './auth/actor.ts';
import type { Tx } from './db/client.ts';
import { Prisma } from './db/client.ts';
import { newId } from '@orvanta/protocol';

export type AuditActor = Actor | { type: 'system'; id?: string } | { type: 'data_plane'; id: string };

export interface AuditEntry {
  tenantId: string | null;
  actor: AuditActor;
  action: string;
  target: { type: string; id?: string };
  before?: unknown;
  after?: unknown;
  meta?: RequestMeta;
}

const SECRET_KEYS = /secret|password|token|credential|hash|privatejwk/i;

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redact(v)]));
  }
  return value;
}

const json = (value: unknown) =>
  value === undefined ? undefined : (JSON.parse(JSON.stringify(redact(value))) as Prisma.InputJsonValue);

/** Writes an audit event inside the caller's transaction, so change and record commit together. */
export async function recordAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.auditEvent.create({
    data: {
      id: newId('aud'),
      tenantId: entry.tenantId,
      actorType: entry.actor.type,
      actorId: 'id' in entry.actor ? (entry.actor.id ?? null) : null,
      action: entry.action,
      targetType: entry.target.type,
      targetId: entry.target.id ?? null,
      before: json(entry.before),
      after: json(entry.after),
      ip: entry.meta?.ip ?? null,
      userAgent: entry.meta?.userAgent ?? null,
      requestId: entry.meta?.requestId ?? null,
    },
  });
}
