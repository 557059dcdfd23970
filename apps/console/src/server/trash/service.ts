import { nulPath, nulProblem } from '@orvanta/protocol';
import type { CallContext } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/authorize.ts';
import { recordAudit } from '../audit.ts';
import type { Db, Tx } from '../db/client.ts';
import type { TrashItem } from '../db/generated/client.ts';
import { enqueueCommand, wake } from '../dataplanes/outbox.ts';
import { AppError, notFound } from '../errors.ts';
import { afterCursor, decodeCursor, page } from '../lib/pagination.ts';

/**
 * The Trash: messages that exhausted their retries, parked on their data plane with their
 * payload, error and attempt history. The control plane keeps only what identifies them
 * (run, node, error class, attempts) and the decisions: approve — optionally with an edited
 * payload, carried to the data plane in a `trash.resolve` command and erased at ack — or
 * reject. Every decision is audited.
 */

export type TrashStatus = 'parked' | 'approved' | 'rejected' | 'discarded';
export type Decision = 'approve' | 'reject';

export interface TrashFilter {
  status?: TrashStatus;
  workflowId?: string;
  runId?: string;
  nodeId?: string;
  errorClass?: string;
}

/** At most this many items are decided by one bulk call; the answer says whether more match. */
export const MAX_BULK = 500;

const filterWhere = (tenantId: string, f: TrashFilter) => ({
  tenantId,
  ...(f.status ? { status: f.status } : {}),
  ...(f.workflowId ? { workflowId: f.workflowId } : {}),
  ...(f.runId ? { runId: f.runId } : {}),
  ...(f.nodeId ? { nodeId: f.nodeId } : {}),
  ...(f.errorClass ? { errorClass: f.errorClass } : {}),
});

export async function findTrash(db: Db, call: CallContext, query: TrashFilter & { cursor?: string; limit: number }) {
  authorize(call.actor, 'trash.read');
  const rows = await db.trashItem.findMany({
    where: { ...filterWhere(call.actor.tenantId, query), ...afterCursor(decodeCursor(query.cursor)) },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit + 1,
  });
  return page(rows, query.limit);
}

export async function getTrashItem(db: Db, call: CallContext, id: string): Promise<TrashItem> {
  const item = await db.trashItem.findFirst({ where: { id, tenantId: call.actor.tenantId } });
  authorize(call.actor, 'trash.read', item, notFound('Trash item', id).detail);
  return item!;
}

/** Records one decision: the item must still be parked. Returns the data plane to wake. */
async function decide(tx: Tx, call: CallContext, item: TrashItem, decision: Decision, edited?: { payload: unknown }): Promise<TrashItem> {
  const now = new Date();
  // Conditional, so two operators deciding at once cannot both win.
  const { count } = await tx.trashItem.updateMany({
    where: { id: item.id, status: 'parked' },
    data: { status: decision === 'approve' ? 'approved' : 'rejected', edited: edited !== undefined, decidedBy: actorRef(call.actor), decidedAt: now },
  });
  if (count === 0) {
    const current = await tx.trashItem.findUniqueOrThrow({ where: { id: item.id } });
    throw new AppError('conflict', 'Already decided', `Trash item ${item.id} is ${current.status}; only parked items can be approved or rejected.`);
  }
  await enqueueCommand(tx, item.dataPlaneId, item.tenantId, {
    type: 'trash.resolve',
    payload: { tenantId: item.tenantId, trashItemId: item.id, decision },
    customerData: edited ? { payload: edited.payload } : null,
  });
  await recordAudit(tx, {
    tenantId: item.tenantId,
    actor: call.actor,
    action: decision === 'approve' ? 'trash.approved' : 'trash.rejected',
    target: { type: 'trash_item', id: item.id },
    before: { status: item.status },
    // Never the payload itself: it is customer data.
    after: { status: decision === 'approve' ? 'approved' : 'rejected', runId: item.runId, nodeId: item.nodeId, ...(decision === 'approve' ? { payloadEdited: edited !== undefined } : {}) },
    meta: call.meta,
  });
  return tx.trashItem.findUniqueOrThrow({ where: { id: item.id } });
}

/** Approves (re-injects at the failed node, with `edited.payload` if given) or rejects one item. */
export async function decideTrashItem(
  db: Db,
  call: CallContext,
  id: string,
  decision: Decision,
  options: { edited?: { payload: unknown }; maxPayloadBytes: number },
): Promise<TrashItem> {
  if (options.edited) {
    const json = JSON.stringify(options.edited.payload ?? null);
    const bytes = Buffer.byteLength(json);
    if (bytes > options.maxPayloadBytes) throw new AppError('payload_too_large', 'Payload too large', `The edited payload is ${bytes} bytes; the limit is ${options.maxPayloadBytes}.`);
    const nul = nulPath(options.edited.payload ?? null, json);
    if (nul) throw new AppError('unprocessable', 'Payload not storable', nulProblem('The edited payload', nul));
  }
  const decided = await db.$transaction(async (tx) => {
    const item = await tx.trashItem.findFirst({ where: { id, tenantId: call.actor.tenantId } });
    authorize(call.actor, 'trash.write', item, notFound('Trash item', id).detail);
    return decide(tx, call, item!, decision, options.edited);
  });
  wake(decided.dataPlaneId);
  return decided;
}

export interface BulkResult {
  decided: string[];
  /** Items named by id that could not be decided, and why. */
  skipped: { id: string; reason: 'not_found' | 'not_parked' }[];
  /** More parked items match the filter than one call decides: call again. */
  more: boolean;
}

/**
 * Decides many items at once: those named by `ids`, or every parked item matching `filter`
 * (up to MAX_BULK per call). All in one transaction, one audit event per item.
 */
export async function decideTrashItems(db: Db, call: CallContext, decision: Decision, selection: { ids?: string[]; filter?: Omit<TrashFilter, 'status'> }): Promise<BulkResult> {
  authorize(call.actor, 'trash.write');
  const tenantId = call.actor.tenantId;
  const result = await db.$transaction(async (tx) => {
    const skipped: BulkResult['skipped'] = [];
    let items: TrashItem[];
    let more = false;
    if (selection.ids) {
      const unique = [...new Set(selection.ids)];
      items = await tx.trashItem.findMany({ where: { tenantId, id: { in: unique } } });
      const found = new Map(items.map((i) => [i.id, i]));
      for (const id of unique) {
        const item = found.get(id);
        if (!item) skipped.push({ id, reason: 'not_found' });
        else if (item.status !== 'parked') skipped.push({ id, reason: 'not_parked' });
      }
      items = items.filter((i) => i.status === 'parked');
    } else {
      items = await tx.trashItem.findMany({ where: filterWhere(tenantId, { ...selection.filter, status: 'parked' }), orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: MAX_BULK + 1 });
      more = items.length > MAX_BULK;
      items = items.slice(0, MAX_BULK);
    }
    // Locked in id order, so two bulk calls over the same items cannot deadlock.
    items.sort((a, b) => (a.id < b.id ? -1 : 1));
    const decided: TrashItem[] = [];
    for (const item of items) {
      const locked = await tx.$queryRaw<{ status: string }[]>`SELECT "status" FROM "TrashItem" WHERE "id" = ${item.id} FOR UPDATE`;
      if (locked[0]?.status !== 'parked') {
        skipped.push({ id: item.id, reason: 'not_parked' });
        continue;
      }
      decided.push(await decide(tx, call, item, decision));
    }
    return { decided, skipped, more };
  });
  for (const id of new Set(result.decided.map((i) => i.dataPlaneId))) wake(id);
  return { decided: result.decided.map((i) => i.id), skipped: result.skipped, more: result.more };
}
