/**
 * TypeScript client for the Orvanta API. Works wherever `fetch` exists (Node ≥ 18,
 * browsers, edge runtimes). Every failure is an {@link OrvantaError} carrying the
 * API's RFC 9457 problem body.
 *
 * ```ts
 * const orvanta = new Orvanta({ baseUrl: 'https://app.orvanta.example', apiKey: process.env.ORVANTA_API_KEY! });
 * const wf = await orvanta.workflows.create(yamlText, { format: 'yaml' });
 * const run = await orvanta.runs.waitFor((await orvanta.workflows.run(wf.id, { n: 20 })).id);
 * const data = await orvanta.runs.data(run); // input, node outputs and logs, from the data plane
 * ```
 */

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type NodeStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Workflow {
  id: string;
  name: string;
  /** The latest version; every save creates a new one. */
  version: number;
  createdAt: string;
  updatedAt: string;
  document?: Record<string, unknown>;
  links: { self: string; runs: string };
}

export interface Run {
  id: string;
  workflowId: string;
  workflowVersion: number;
  status: RunStatus;
  trigger: string;
  region: string;
  dataPlaneId: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  cancelRequestedAt: string | null;
  inputBytes: number | null;
  outputBytes: number | null;
  error: { class: string; nodeId: string | null } | null;
  nodes: { id: string; status: NodeStatus; attempts: number; errorClass: string | null; startedAt: string | null; finishedAt: string | null }[];
  /** `data` is a short-lived signed URL on the run's data plane (present on `runs.get`). */
  links: { self: string; workflow: string; data?: string; dataExpiresAt?: string };
}

/** A run's payloads, served by the data plane that ran it. */
export interface RunData {
  runId: string;
  status: RunStatus;
  input: unknown;
  output?: unknown;
  error?: { class: string; name?: string; message: string; stack?: string };
  nodes: {
    messageId: string;
    nodeId: string;
    status: NodeStatus;
    attempts: number;
    input: unknown;
    output?: unknown;
    error?: { class: string; name?: string; message: string; stack?: string };
    logs: { level: string; message: string; at: string }[];
    startedAt: string | null;
    finishedAt: string | null;
  }[];
}

export interface Page<T> {
  data: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** An RFC 9457 problem body as the API returns it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId?: string;
  /** For validation problems: each offending field, with line and column for YAML. */
  errors?: { path: string; pointer?: string; message: string; line?: number; column?: number }[];
}

export class OrvantaError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'OrvantaError';
  }
  get status(): number {
    return this.problem.status;
  }
}

export interface OrvantaOptions {
  /** The console's origin, e.g. `https://app.orvanta.example`. */
  baseUrl: string;
  /** A tenant API key (`orv_…`). */
  apiKey: string;
  /** Replace `fetch` (tests, proxies). */
  fetch?: typeof fetch;
}

const TERMINAL: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export class Orvanta {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: OrvantaOptions) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  private async request<T>(method: string, path: string, body?: { text: string; contentType: string }, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.fetchImpl(new URL(`/api/v1${path}`, this.options.baseUrl), {
      method,
      headers: { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json', ...(body ? { 'content-type': body.contentType } : {}), ...headers },
      body: body?.text,
    });
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : null;
    if (!response.ok) {
      const problem = parsed && typeof parsed === 'object' && 'detail' in parsed ? (parsed as Problem) : { type: 'about:blank', title: response.statusText, status: response.status, detail: `HTTP ${response.status}` };
      throw new OrvantaError(problem);
    }
    return parsed as T;
  }

  readonly workflows = {
    /** Creates a workflow from a document object, or from JSON/YAML source text. */
    create: (document: Record<string, unknown> | string, options: { format?: 'json' | 'yaml' } = {}) =>
      this.request<Workflow>('POST', '/workflows', encodeDocument(document, options.format)),
    /** Saves a new immutable version. */
    update: (id: string, document: Record<string, unknown> | string, options: { format?: 'json' | 'yaml' } = {}) =>
      this.request<Workflow>('PUT', `/workflows/${encodeURIComponent(id)}`, encodeDocument(document, options.format)),
    get: (id: string, options: { version?: number } = {}) =>
      this.request<Workflow>('GET', `/workflows/${encodeURIComponent(id)}${options.version ? `?version=${options.version}` : ''}`),
    list: (options: { cursor?: string; limit?: number } = {}) => this.request<Page<Workflow>>('GET', `/workflows${query(options)}`),
    /**
     * Starts a run with `input`: of the version deployed in `environment`, or the latest.
     * With `idempotencyKey`, repeating the call (a retry after a timeout, say) within 24 h
     * returns the same run instead of starting another.
     */
    run: (id: string, input?: unknown, options: { environment?: string; idempotencyKey?: string } = {}) =>
      this.request<Run>(
        'POST',
        `/workflows/${encodeURIComponent(id)}/runs`,
        { text: JSON.stringify({ input, ...(options.environment ? { environment: options.environment } : {}) }), contentType: 'application/json' },
        options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
      ),
  };

  readonly runs = {
    get: (id: string) => this.request<Run>('GET', `/runs/${encodeURIComponent(id)}`),
    list: (options: { workflowId?: string; status?: RunStatus; cursor?: string; limit?: number } = {}) => this.request<Page<Run>>('GET', `/runs${query(options)}`),
    cancel: (id: string) => this.request<Run>('POST', `/runs/${encodeURIComponent(id)}/cancel`),
    /** Polls until the run succeeds, fails or is cancelled. */
    waitFor: async (id: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<Run> => {
      const deadline = Date.now() + (options.timeoutMs ?? 60_000);
      for (;;) {
        const run = await this.runs.get(id);
        if (TERMINAL.includes(run.status)) return run;
        if (Date.now() > deadline) throw new Error(`Run ${id} is still ${run.status} after ${options.timeoutMs ?? 60_000} ms.`);
        await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
      }
    },
    /** Fetches the run's payloads from its data plane, through the signed `links.data` URL. */
    data: async (runOrId: Run | string): Promise<RunData> => {
      // Only `runs.get` carries a fresh signed link; list results and old objects are re-read.
      const run = typeof runOrId === 'string' ? await this.runs.get(runOrId) : runOrId.links.data ? runOrId : await this.runs.get(runOrId.id);
      if (!run.links.data) throw new Error(`Run ${run.id}'s data plane has not reported where it can be reached yet.`);
      const response = await this.fetchImpl(run.links.data);
      if (!response.ok) throw new OrvantaError((await response.json()) as Problem);
      return (await response.json()) as RunData;
    },
  };
}

function encodeDocument(document: Record<string, unknown> | string, format?: 'json' | 'yaml') {
  if (typeof document !== 'string') return { text: JSON.stringify(document), contentType: 'application/json' };
  const yaml = format ? format === 'yaml' : !document.trimStart().startsWith('{');
  return { text: document, contentType: yaml ? 'application/yaml' : 'application/json' };
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}
