/** A tiny API client for tests: JSON in, `{status, body, headers}` out. */
export function apiClient(baseUrl: string, apiKey?: string) {
  return async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const init: RequestInit = { method, headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= typeof body === 'string' ? 'application/yaml' : 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: parsed as any, headers: response.headers };
  };
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const HELLO_YAML = `name: hello
nodes:
  - id: double
    type: script
    language: javascript
    code: "export default (input) => ({ n: input.n * 2 })"
  - id: inc
    type: script
    language: javascript
    code: "export default (input, ctx) => ({ n: input.n + 1, from: ctx.node.id })"
edges:
  - { from: double, to: inc }
`;

/** The hello workflow under another name (names are unique per tenant). */
export const helloYaml = (name: string) => HELLO_YAML.replace(/^name: hello$/m, `name: ${name}`);

let runCounter = 0;
/**
 * Creates a workflow from `document` (its name made unique), starts a run of it with `input`
 * and waits for the run to end: its metadata, and its data read from the data plane.
 */
export async function runToEnd(api: ReturnType<typeof apiClient>, document: Record<string, unknown>, input: unknown) {
  const created = await api('POST', '/api/v1/workflows', { ...document, name: `${String(document.name)}-${runCounter++}` });
  if (created.status !== 201) throw new Error(`creating the workflow failed: ${created.status} ${JSON.stringify(created.body)}`);
  const started = await api('POST', `/api/v1/workflows/${created.body.id}/runs`, { input });
  if (started.status !== 202) throw new Error(`starting the run failed: ${started.status} ${JSON.stringify(started.body)}`);
  const finished = await eventually(`run ${started.body.id} to finish`, async () => {
    const res = await api('GET', `/api/v1/runs/${started.body.id}`);
    return ['succeeded', 'failed', 'cancelled'].includes(res.body.status) ? res.body : undefined;
  });
  const data = await (await fetch(finished.links.data)).json();
  return { run: finished, data };
}
