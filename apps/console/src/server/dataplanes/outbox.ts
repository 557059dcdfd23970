import { EventEmitter } from 'node:events';
import type { CommandBody } from '@orvanta/protocol';
import type { Tx } from '../db/client.ts';
import { Prisma } from '../db/client.ts';
import { newId } from '@orvanta/protocol';

/**
 * Wakes long-polls held by this process when a command is queued. Other control-plane
 * replicas notice within the poll's re-check interval, so this is only a latency aid.
 */
const wakeups = new EventEmitter();
wakeups.setMaxListeners(0);

/** Queues a command for a data plane inside the caller's transaction. Call `wake` after commit. */
export async function enqueueCommand(tx: Tx, dataPlaneId: string, tenantId: string, command: CommandBody): Promise<string> {
  const id = newId('cmd');
  await tx.dataPlaneCommand.create({
    data: {
      id,
      dataPlaneId,
      tenantId,
      type: command.type,
      payload: command.payload as Prisma.InputJsonValue,
      customerData: command.customerData == null ? Prisma.DbNull : (command.customerData as Prisma.InputJsonValue),
    },
  });
  return id;
}

export function wake(dataPlaneId: string): void {
  wakeups.emit(dataPlaneId);
}

/** Resolves when a command may be waiting for the data plane, or after `ms`, or on abort. */
export function waitForCommands(dataPlaneId: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wakeups.off(dataPlaneId, done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    wakeups.once(dataPlaneId, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
