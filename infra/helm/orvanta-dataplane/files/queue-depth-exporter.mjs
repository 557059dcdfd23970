// Queue-depth exporter for autoscaling data-plane workers. The data plane itself serves no
// metrics endpoint (its agent reports the depth to the control plane in heartbeats), so this
// small process reads the BullMQ "nodes" queue straight from the data plane's Redis and serves:
//   GET /metrics  Prometheus text: orvanta_queue_depth{data_plane="…",queue="nodes"} N
//   GET /depth    {"depth": N}  (for KEDA's metrics-api scaler)
//   GET /healthz  200 when Redis answers
// Depth = waiting + prioritized + active + waiting-children jobs; delayed jobs (retry
// backoff, delay nodes) are left out, since more workers would not run them sooner.
// It speaks RESP itself and imports only node: modules, so it runs with any Node 20 image
// (the chart runs it with the data-plane image). Configured by REDIS_URL, REDIS_PREFIX,
// DATA_PLANE_LABEL, METRICS_PORT.
/* global Buffer */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

const QUEUE = 'nodes';

/** Sends commands over one fresh connection and resolves with their replies (integers, strings). */
export function redisCommands(url, commands, timeoutMs = 5000) {
  const target = new URL(url);
  const port = Number(target.port || 6379);
  const host = target.hostname;
  const auth = target.password ? [target.username ? ['AUTH', decodeURIComponent(target.username), decodeURIComponent(target.password)] : ['AUTH', decodeURIComponent(target.password)]] : [];
  const db = target.pathname && target.pathname.length > 1 ? [['SELECT', target.pathname.slice(1)]] : [];
  const all = [...auth, ...db, ...commands];
  const encode = (args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const socket = target.protocol === 'rediss:' ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
    let buffer = '';
    const replies = [];
    const timer = setTimeout(() => finish(new Error(`redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    function finish(err) {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(replies.slice(auth.length + db.length));
    }
    socket.setEncoding('utf8');
    socket.on('error', finish);
    socket.on('connect', () => socket.write(all.map(encode).join('')));
    socket.on('secureConnect', () => undefined);
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (;;) {
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const line = buffer.slice(0, end);
        if (line[0] === '$') {
          const length = Number(line.slice(1));
          if (length < 0) {
            replies.push(null);
            buffer = buffer.slice(end + 2);
          } else {
            if (buffer.length < end + 2 + length + 2) return;
            replies.push(buffer.slice(end + 2, end + 2 + length));
            buffer = buffer.slice(end + 2 + length + 2);
          }
        } else {
          buffer = buffer.slice(end + 2);
          if (line[0] === '-') return finish(new Error(`redis: ${line.slice(1)}`));
          replies.push(line[0] === ':' ? Number(line.slice(1)) : line.slice(1));
        }
        if (replies.length === all.length) return finish();
      }
    });
  });
}

/** The number of jobs workers could be running now: BullMQ's wait, paused, prioritized, active and waiting-children sets. */
export async function queueDepth(url, prefix) {
  const key = (state) => `${prefix}:${QUEUE}:${state}`;
  const counts = await redisCommands(url, [
    ['LLEN', key('wait')],
    ['LLEN', key('paused')],
    ['ZCARD', key('prioritized')],
    ['LLEN', key('active')],
    ['ZCARD', key('waiting-children')],
  ]);
  return counts.reduce((sum, n) => sum + Number(n), 0);
}

export function startExporter({ redisUrl, prefix, label, port, host = '0.0.0.0' }) {
  const escape = (value) => String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/depth' && path !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    try {
      const depth = await queueDepth(redisUrl, prefix);
      if (path === '/healthz') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
      else if (path === '/depth') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ depth }));
      else
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
          .end(['# HELP orvanta_queue_depth Jobs waiting for or held by data-plane workers.', '# TYPE orvanta_queue_depth gauge', `orvanta_queue_depth{data_plane="${escape(label)}",queue="${QUEUE}"} ${depth}`, ''].join('\n'));
    } catch (err) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end(`queue depth unavailable: ${err.message}\n`);
    }
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl || !/^rediss?:\/\//.test(redisUrl)) {
    console.error('REDIS_URL: must be a redis:// or rediss:// URL');
    process.exit(2);
  }
  const port = Number(process.env.METRICS_PORT ?? 9464);
  const server = await startExporter({ redisUrl, prefix: process.env.REDIS_PREFIX || 'orvanta', label: process.env.DATA_PLANE_LABEL || '', port });
  console.log(JSON.stringify({ level: 'info', msg: 'queue-depth exporter listening', port }));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
}
