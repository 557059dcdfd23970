import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { evaluate } from './expressions.ts';

/**
 * The `http` node: a request templated from the input, context and secrets, sent under
 * the data plane's egress policy. Addresses are checked when the connection is made (in
 * the socket's DNS lookup), so a name that resolves to a private address — or is changed
 * to one after a first check — is refused.
 */

export interface HttpNodeSpec {
  id: string;
  application: string;
  request: { method?: string; url: string; headers?: Record<string, string>; body?: unknown };
  timeoutMs?: number;
}

export class HttpNodeError extends Error {
  constructor(
    readonly errorClass: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** Private, loopback, link-local (cloud metadata), carrier-grade NAT and unique-local ranges. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::1', 128],
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const TEMPLATE = /\{\{([\s\S]+?)\}\}/g;

/** Renders `{{ expr }}` templates; a string that is exactly one template keeps the value's type. */
async function render(value: unknown, scope: Record<string, unknown>): Promise<unknown> {
  if (typeof value === 'string') {
    const whole = /^\{\{((?:(?!\}\})[\s\S])+)\}\}$/.exec(value.trim());
    if (whole) return evaluate(whole[1]!.trim(), scope);
    let out = '';
    let last = 0;
    for (const match of value.matchAll(TEMPLATE)) {
      out += value.slice(last, match.index);
      const v = await evaluate(match[1]!.trim(), scope);
      out += v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      last = match.index! + match[0].length;
    }
    return out + value.slice(last);
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => render(v, scope)));
  if (value && typeof value === 'object') {
    return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await render(v, scope)])));
  }
  return value;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export async function runHttpNode(
  node: HttpNodeSpec,
  scope: { input: unknown; ctx: unknown; secrets: Record<string, string> },
  policy: { allowPrivate: boolean; timeoutMs: number },
): Promise<HttpResult> {
  const method = (node.request.method ?? 'GET').toUpperCase();
  for (const [, name] of JSON.stringify(node.request).matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (!(name! in scope.secrets)) throw new HttpNodeError('MissingSecret', `the secret ${name} is not set on this data plane: set it with PUT /api/v1/secrets/${name}`);
  }
  const url = new URL(String(await render(node.request.url, scope)));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpNodeError('InvalidInput', `only http and https URLs can be called, not ${url.protocol}`);
  const headers = (await render(node.request.headers ?? {}, scope)) as Record<string, unknown>;
  const rawBody = node.request.body === undefined ? undefined : await render(node.request.body, scope);
  const body = rawBody === undefined || method === 'GET' || method === 'HEAD' ? undefined : typeof rawBody === 'string' ? rawBody : JSON.stringify(rawBody);
  const outgoing: Record<string, string> = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  if (body !== undefined && typeof rawBody !== 'string') outgoing['content-type'] ??= 'application/json';

  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivate && isIP(host) && isPrivateAddress(host)) {
    throw new HttpNodeError('EgressDenied', `the data plane's egress policy does not allow calls to ${host} (a private, loopback or metadata address)`);
  }
  const lookup = (hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const denied = policy.allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (denied) return callback(new HttpNodeError('EgressDenied', `the data plane's egress policy does not allow calls to ${hostname} (${denied.address} is a private, loopback or metadata address)`), '', 0);
      const all = (options as { all?: boolean }).all;
      return all ? callback(null, list) : callback(null, list[0]!.address, list[0]!.family);
    });
  };

  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<HttpResult>((resolve, reject) => {
    const req = send(url, { method, headers: outgoing, lookup: lookup as never, timeout: policy.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          req.destroy(new HttpNodeError('ResponseTooLarge', `the response is larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const type = res.headers['content-type'] ?? '';
        let parsed: unknown = text;
        if (/json/i.test(type) && text) {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        const result = { status: res.statusCode ?? 0, headers: flatten(res.headers), body: parsed };
        const retryAfter = res.headers['retry-after'];
        if (result.status === 429 || result.status >= 500) {
          reject(new HttpNodeError(result.status === 429 ? 'HttpRateLimited' : 'HttpServerError', `${method} ${url.origin}${url.pathname} answered ${result.status}`, { status: result.status, retryAfter }));
        } else if (result.status >= 400) {
          reject(new HttpNodeError('HttpClientError', `${method} ${url.origin}${url.pathname} answered ${result.status}`, { status: result.status, body: typeof parsed === 'string' ? parsed.slice(0, 2000) : parsed }));
        } else resolve(result);
      });
    });
    req.on('timeout', () => req.destroy(new HttpNodeError('Timeout', `${method} ${url.origin}${url.pathname} did not answer within ${policy.timeoutMs} ms`)));
    req.on('error', (err) => reject(err instanceof HttpNodeError ? err : new HttpNodeError('NetworkError', `${method} ${url.origin}${url.pathname} failed: ${(err as Error).message}`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function flatten(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
}
