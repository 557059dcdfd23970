import type { CommandEnvelope, EventEnvelope, Jwks } from '@orvanta/protocol';
import type { SecretStore } from '../secrets.ts';
import type { Db, Prisma, Sql } from '../db.ts';
import type { NodeQueue } from '../engine/queue.ts';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import { applyCommands } from './apply-command.ts';
import { GatewayClient, GatewayError } from './gateway-client.ts';

export interface AgentOptions {
  db: Db;
  /** The pool beneath `db`, for storing started runs (start-run.ts). */
  sql: Sql;
  queue: NodeQueue;
  secrets: SecretStore;
  log: Logger;
  controlPlaneUrl: string;
  publicUrl: string;
  version: string;
  enrollmentToken?: string;
  longPollSeconds?: number;
  /** Commands per pull (default 20). */
  commandBatch?: number;
  /** Tenants whose commands are applied at the same time (default 4), each in its own transactions. */
  commandLanes?: number;
  heartbeatMs?: number;
  eventPollMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** How often the agent pulls while lanes are busy applying commands (or sooner, when one ends). */
const LANE_POLL_MS = 100;

/**
 * The agent role: the data plane's only link to the control plane, always dialled out.
 * It pulls commands (long-poll), applies them, ships the event outbox and sends
 * heartbeats. While the control plane is unreachable the rest of the data plane keeps
 * working and events wait in the outbox.
 */
export class Agent {
  private readonly abort = new AbortController();
  private readonly client: GatewayClient;
  private loops: Promise<void>[] = [];
  /** Tenants whose commands are being applied, each in order in its own lane. */
  private readonly lanes = new Map<string, Promise<void>>();
  private laneFailure?: unknown;
  private reenrollTried = false;
  dataPlaneId?: string;

  constructor(private readonly o: AgentOptions) {
    this.client = new GatewayClient(o.controlPlaneUrl, this.abort.signal);
  }

  async start(): Promise<void> {
    await this.ensureEnrolled();
    const signal = this.abort.signal;
    this.loops = [this.loop('commands', () => this.pullOnce(), signal, 0), this.loop('events', () => this.shipEvents(), signal, this.o.eventPollMs ?? 250), this.loop('heartbeat', () => this.heartbeat(), signal, this.o.heartbeatMs ?? 15_000)];
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
    await Promise.allSettled(this.lanes.values());
  }

  private async ensureEnrolled(): Promise<void> {
    const state = await this.o.db.agentState.findUnique({ where: { id: 1 } });
    if (state && state.controlPlaneUrl === this.o.controlPlaneUrl) {
      this.client.credential = state.credential;
      this.dataPlaneId = state.dataPlaneId;
      return;
    }
    await this.enroll();
  }

  private async enroll(): Promise<void> {
    if (!this.o.enrollmentToken) {
      throw new Error('This data plane is not enrolled with the control plane. Set ENROLLMENT_TOKEN to the one-time token from the console (Data planes → Enroll).');
    }
    this.client.credential = undefined;
    const response = await this.client.enroll({ token: this.o.enrollmentToken, version: this.o.version, publicUrl: this.o.publicUrl });
    const data = { dataPlaneId: response.dataPlaneId, controlPlaneUrl: this.o.controlPlaneUrl, credential: response.credential, jwks: response.jwks as Prisma.InputJsonValue, jwksFetchedAt: new Date() };
    await this.o.db.agentState.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
    this.client.credential = response.credential;
    this.dataPlaneId = response.dataPlaneId;
    this.o.log.info('enrolled with the control plane', { dataPlaneId: response.dataPlaneId, region: response.region, kind: response.kind });
  }

  private async loop(name: string, step: () => Promise<boolean | void>, signal: AbortSignal, idleMs: number): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const busy = await step();
        if (failures > 0) this.o.log.info('control plane reachable again', { loop: name });
        failures = 0;
        if (!busy) await sleep(idleMs, signal);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof GatewayError && err.status === 401) await this.onCredentialRefused();
        failures++;
        if (failures === 1 || failures % 20 === 0) this.o.log.warn('control plane call failed; retrying', { loop: name, failures, ...errorFields(err) });
        // Exponential backoff with jitter, capped at 30 s.
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)) * (0.5 + Math.random() / 2), signal);
      }
    }
  }

  private async onCredentialRefused(): Promise<void> {
    if (this.reenrollTried || !this.o.enrollmentToken) {
      this.o.log.error('the control plane refused this data plane\'s credential (revoked?); enroll it again with a new token');
      return;
    }
    this.reenrollTried = true;
    await this.enroll().catch((err) => this.o.log.error('re-enrollment failed', errorFields(err)));
  }

  /**
   * One pull. The control plane deals commands round robin across tenants; here each
   * tenant's are applied in a lane of its own (its commands in order, one lane per tenant,
   * a few lanes at once), then their work is enqueued and they are acknowledged. So a quiet
   * tenant's run.start does not wait for a busy tenant's backlog to be applied: it is pulled
   * while that lane is still busy and applied beside it. A busy tenant's commands that come
   * again while its lane runs are left for a later pull (they are not acknowledged yet).
   */
  private async pullOnce(): Promise<boolean> {
    if (this.laneFailure) {
      const failure = this.laneFailure;
      this.laneFailure = undefined;
      throw failure; // the loop backs off, then the unacknowledged commands come again
    }
    // While lanes are busy the pull does not wait (what they hold is still pending, so a
    // long-poll would return at once anyway); it is repeated when a lane ends or shortly.
    const busy = this.lanes.size > 0;
    const { commands, unsupported } = await this.client.pullCommands(busy ? 0 : (this.o.longPollSeconds ?? 25), this.o.commandBatch ?? 20);
    for (const skipped of unsupported) {
      // A newer control plane sent something this version cannot apply. Holding it would
      // stop every command behind it; it is recorded, acknowledged and reported instead.
      this.o.log.error('skipped a command this data plane version does not understand; upgrade the data plane', { commandId: skipped.id, type: skipped.type, problem: skipped.problem });
      await this.o.db.appliedCommand.upsert({ where: { id: skipped.id }, create: { id: skipped.id, type: `unsupported:${skipped.type}`.slice(0, 100) }, update: {} });
    }
    const skippedIds = unsupported.map((c) => c.id).filter((id) => id !== '?');
    if (skippedIds.length > 0) await this.client.ack(skippedIds);

    const byTenant = new Map<string, CommandEnvelope[]>();
    for (const command of commands) {
      const tenantId = command.payload.tenantId;
      if (this.lanes.has(tenantId)) continue;
      byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), command]);
    }
    for (const [tenantId, batch] of byTenant) {
      if (this.lanes.size >= (this.o.commandLanes ?? 4)) break;
      const lane = this.applyLane(batch).finally(() => this.lanes.delete(tenantId));
      this.lanes.set(tenantId, lane);
    }
    if (this.lanes.size > 0) await Promise.race([...this.lanes.values(), sleep(LANE_POLL_MS, this.abort.signal)]);
    return true; // the long-poll, or the lanes, are the wait
  }

  /** Applies one tenant's commands in order, enqueues their work, then acknowledges them. */
  private async applyLane(commands: CommandEnvelope[]): Promise<void> {
    try {
      const jobs = await applyCommands(this.o.db, this.o.sql, commands, this.o.secrets);
      await this.o.queue.enqueue(jobs).catch((err) => this.o.log.warn('enqueue failed; reconciler will retry', errorFields(err)));
      this.o.log.debug('applied commands', { count: commands.length });
      await this.client.ack(commands.map((c) => c.id));
    } catch (err) {
      if (!this.abort.signal.aborted) this.laneFailure ??= err;
    }
  }

  private async shipEvents(): Promise<boolean> {
    const rows = await this.o.db.outboxEvent.findMany({ where: { sentAt: null }, orderBy: { seq: 'asc' }, take: 500 });
    if (rows.length === 0) return false;
    const events = rows.map((r) => ({ id: r.id, seq: r.seq.toString(), occurredAt: r.createdAt.toISOString(), type: r.type, payload: r.payload }) as EventEnvelope);
    const applied = await this.client.sendEvents(events);
    await this.o.db.outboxEvent.updateMany({ where: { id: { in: applied } }, data: { sentAt: new Date() } });
    return rows.length === 500;
  }

  private async heartbeat(): Promise<boolean> {
    const queueDepth = await this.o.queue.depth().catch(() => 0);
    const { jwks } = await this.client.heartbeat({ version: this.o.version, publicUrl: this.o.publicUrl, queueDepth });
    await this.o.db.agentState.update({ where: { id: 1 }, data: { jwks: jwks as Jwks as Prisma.InputJsonValue, jwksFetchedAt: new Date() } });
    return false;
  }
}
