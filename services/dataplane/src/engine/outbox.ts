import { newId, type EventBody } from '@orvanta/protocol';
import type { Prisma, Tx } from '../db.ts';

/** Records an event for the control plane inside the caller's transaction. */
export async function emitEvent(tx: Tx, event: EventBody): Promise<void> {
  await tx.outboxEvent.create({
    data: { id: newId('evt'), type: event.type, payload: event.payload as Prisma.InputJsonValue },
  });
}
