import { z } from 'zod';
import {
  commandEnvelopeSchema,
  splitKnown,
  enrollResponseSchema,
  gatewayPaths,
  type CommandEnvelope,
  type EnrollRequest,
  type EnrollResponse,
  type EventEnvelope,
  type HeartbeatRequest,
  type Jwks,
} from '@orvanta/protocol';

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** HTTP client for the control plane's data-plane gateway. All calls go out; none come in. */
export class GatewayClient {
  credential?: string;

  /** `stop` aborts in-flight calls (a held long-poll) so shutdown is prompt. */
  constructor(
    private readonly baseUrl: string,
    private readonly stop?: AbortSignal,
  ) {}

  private async call<T>(path: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<T> {
    const headers = new Headers(init.headers);
    if (this.credential) headers.set('authorization', `Bearer ${this.credential}`);
    if (init.body) headers.set('content-type', 'application/json');
    const response = await fetch(new URL(path, this.baseUrl), { ...init, headers, signal: AbortSignal.any([AbortSignal.timeout(init.timeoutMs ?? 15_000), ...(this.stop ? [this.stop] : [])]) });
    if (!response.ok) {
      const problem = (await response.json().catch(() => null)) as { detail?: string } | null;
      throw new GatewayError(response.status, problem?.detail ?? `control plane answered ${response.status} ${response.statusText}`);
    }
    return (await response.json()) as T;
  }

  async enroll(request: EnrollRequest): Promise<EnrollResponse> {
    return enrollResponseSchema.parse(await this.call(gatewayPaths.enroll, { method: 'POST', body: JSON.stringify(request) }));
  }

  /**
   * Up to `limit` commands (the control plane deals them round robin across tenants): those
   * this version understands, and the ids and types of those it does not (from a newer control plane).
   */
  async pullCommands(waitSeconds: number, limit: number): Promise<{ commands: CommandEnvelope[]; unsupported: { id: string; type: string; problem: string }[] }> {
    const body = await this.call(`${gatewayPaths.commands}?wait=${waitSeconds}&limit=${limit}`, { timeoutMs: (waitSeconds + 15) * 1000 });
    const { known, unknown } = splitKnown(z.object({ commands: z.array(z.unknown()) }).parse(body).commands, commandEnvelopeSchema);
    return { commands: known, unsupported: unknown };
  }

  async ack(ids: string[]): Promise<void> {
    await this.call(gatewayPaths.ack, { method: 'POST', body: JSON.stringify({ ids }) });
  }

  async sendEvents(events: EventEnvelope[]): Promise<string[]> {
    const body = await this.call<{ applied: string[] }>(gatewayPaths.events, { method: 'POST', body: JSON.stringify({ events }) });
    return body.applied;
  }

  async heartbeat(request: HeartbeatRequest): Promise<{ jwks: Jwks }> {
    return this.call(gatewayPaths.heartbeat, { method: 'POST', body: JSON.stringify(request) });
  }
}
