import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubernetesDriverConfig } from '../../src/server/regions/provisioners/config.ts';
import { createKubernetesDriver, KubeClient, loadKubeconfig, namespaceFor } from '../../src/server/regions/provisioners/kubernetes.ts';
import { SIZES, type DedicatedRegionSpec } from '../../src/server/regions/provisioners/types.ts';

const chartPath = path.resolve(import.meta.dirname, '../../../../infra/helm/orvanta-dataplane');

interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A fake Kubernetes API: records every request; stores applied objects; reports Deployments available after two polls. */
function fakeApiServer(opts: { keda?: boolean } = {}) {
  const requests: Recorded[] = [];
  const objects = new Map<string, Record<string, unknown>>();
  let deploymentPolls = 0;
  let namespacePolls = 0;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const send = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      if (req.headers.authorization !== 'Bearer test-sa-token') return send(401, { kind: 'Status', message: 'Unauthorized' });
      if (req.method === 'PATCH') {
        if (!opts.keda && url.pathname.includes('/keda.sh/')) return send(404, { kind: 'Status', message: 'the server could not find the requested resource' });
        const obj = JSON.parse(body) as Record<string, unknown>;
        objects.set(url.pathname, obj);
        return send(200, obj);
      }
      if (req.method === 'GET' && url.pathname.endsWith('/deployments/dataplane')) {
        deploymentPolls++;
        const available = deploymentPolls >= 2;
        return send(200, {
          metadata: { generation: 1 },
          status: { observedGeneration: 1, availableReplicas: available ? 1 : 0, conditions: [{ type: 'Available', status: available ? 'True' : 'False', reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable' }] },
        });
      }
      if (req.method === 'GET' && /\/namespaces\/[^/]+$/.test(url.pathname)) {
        namespacePolls++;
        return namespacePolls >= 2 ? send(404, { kind: 'Status', message: 'not found' }) : send(200, { status: { phase: 'Terminating' } });
      }
      if (req.method === 'GET' && objects.has(url.pathname)) return send(200, objects.get(url.pathname));
      if (req.method === 'GET') return send(404, { kind: 'Status', message: 'not found' });
      if (req.method === 'DELETE') return send(200, { kind: 'Status', status: 'Success' });
      send(405, { kind: 'Status', message: 'unexpected' });
    });
  };
  return { requests, objects, handler };
}

const servers: (http.Server | https.Server)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: http.Server | https.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const TOKEN = 'enroll.SECRET-token-9f8e7d';
const spec: DedicatedRegionSpec = {
  id: 'dr_01ABC',
  tenantId: 'ten_42',
  location: 'cluster-a',
  size: 'medium',
  dataPlaneId: 'dp_01XYZ',
  controlPlaneUrl: 'https://app.orvanta.example',
  enrollmentToken: TOKEN,
  image: 'registry.example.com/orvanta/dataplane:1.2.3',
};

function config(overrides: Partial<KubernetesDriverConfig> = {}): KubernetesDriverConfig {
  return {
    kubeconfigPath: '/unused',
    chartPath,
    ingressAnnotations: {},
    serviceType: 'ClusterIP',
    autoscaling: 'hpa',
    readyTimeoutMs: 5_000,
    pollIntervalMs: 5,
    ...overrides,
  };
}

type Container = { name: string; image: string; args?: string[]; env: { name: string; value?: string; valueFrom?: unknown }[]; resources: unknown; ports?: { containerPort: number }[]; readinessProbe?: { httpGet: { path: string } } };
type DeploymentBody = { metadata: { namespace: string; labels: Record<string, string> }; spec: { replicas?: number; template: { spec: { containers: Container[]; securityContext: Record<string, unknown> } } } };

describe('kubernetes driver', () => {
  it('applies the namespace, secret, data plane, service and autoscaler with server-side apply, then waits for the Deployment', async () => {
    const api = fakeApiServer();
    const port = await listen(http.createServer(api.handler));
    const steps: [string, string | undefined][] = [];
    const driver = createKubernetesDriver(
      config({ publicUrlTemplate: 'https://{id}.dp.orvanta.example', ingressClassName: 'nginx', storageClass: 'fast' }),
      { connect: () => ({ server: `http://127.0.0.1:${port}`, context: 'test', token: 'test-sa-token' }), random: (n) => 'r'.repeat(n * 2) },
    );

    const result = await driver.provision(spec, async (step, detail) => void steps.push([step, detail]), new AbortController().signal);

    const ns = 'orvanta-dr-01abc';
    expect(namespaceFor(spec.id)).toBe(ns);
    expect(result).toEqual({ publicUrl: 'https://dr-01abc.dp.orvanta.example', resources: { namespace: ns, release: 'dataplane', server: `http://127.0.0.1:${port}`, context: 'test' } });

    // Every write is a server-side apply by the `orvanta` field manager.
    const patches = api.requests.filter((r) => r.method === 'PATCH');
    for (const p of patches) {
      expect(p.path).toMatch(/\?fieldManager=orvanta&force=true$/);
      expect(p.headers['content-type']).toBe('application/apply-patch+yaml');
    }
    expect(patches.map((p) => p.path.split('?')[0])).toEqual([
      `/api/v1/namespaces/${ns}`,
      `/api/v1/namespaces/${ns}/secrets/dataplane`,
      `/apis/apps/v1/namespaces/${ns}/statefulsets/dataplane-postgresql`,
      `/api/v1/namespaces/${ns}/services/dataplane-postgresql`,
      `/apis/apps/v1/namespaces/${ns}/deployments/dataplane-redis`,
      `/api/v1/namespaces/${ns}/services/dataplane-redis`,
      `/apis/apps/v1/namespaces/${ns}/deployments/dataplane`,
      `/apis/apps/v1/namespaces/${ns}/deployments/dataplane-worker`,
      `/api/v1/namespaces/${ns}/services/dataplane`,
      `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/dataplane`,
      `/api/v1/namespaces/${ns}/configmaps/dataplane-queue-depth`,
      `/apis/apps/v1/namespaces/${ns}/deployments/dataplane-queue-depth`,
      `/api/v1/namespaces/${ns}/services/dataplane-queue-depth`,
      `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/dataplane-worker`,
    ]);

    // The token is in the Secret and nowhere else: not in another request, not in a step.
    const secret = JSON.parse(patches[1]!.body) as { data: Record<string, string> };
    expect(Buffer.from(secret.data.ENROLLMENT_TOKEN!, 'base64').toString()).toBe(TOKEN);
    expect(Buffer.from(secret.data.DATABASE_URL!, 'base64').toString()).toBe(`postgresql://orvanta:${'r'.repeat(32)}@dataplane-postgresql:5432/orvanta`);
    expect(Buffer.from(secret.data.REDIS_URL!, 'base64').toString()).toBe(`redis://:${'r'.repeat(32)}@dataplane-redis:6379/0`);
    expect(Buffer.from(secret.data.SECRETS_KEY!, 'base64').toString()).toHaveLength(48);
    const b64Token = Buffer.from(TOKEN).toString('base64');
    for (const r of api.requests) {
      expect(r.path + r.body).not.toContain(TOKEN);
      if (!r.path.includes('/secrets/')) expect(r.body).not.toContain(b64Token);
    }
    expect(JSON.stringify(steps)).not.toContain(TOKEN);

    // The main Deployment: role all, medium sizes, env from the Secret, probes on /healthz, non-root.
    const main = JSON.parse(patches[6]!.body) as DeploymentBody;
    const mainC = main.spec.template.spec.containers[0]!;
    expect(main.metadata.namespace).toBe(ns);
    expect(main.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'orvanta-dataplane', 'app.kubernetes.io/instance': 'dataplane', 'app.kubernetes.io/component': 'main', 'orvanta.dev/data-plane-id': 'dp_01XYZ' });
    expect(main.spec.replicas).toBe(1);
    expect(mainC.image).toBe('registry.example.com/orvanta/dataplane:1.2.3');
    expect(mainC.args).toEqual(['all']);
    expect(mainC.ports).toEqual([{ name: 'http', containerPort: 3100, protocol: 'TCP' }]);
    expect(mainC.readinessProbe?.httpGet.path).toBe('/healthz');
    expect(mainC.resources).toEqual({ requests: { cpu: SIZES.medium.cpu, memory: SIZES.medium.memory }, limits: { memory: SIZES.medium.memory } });
    const env = Object.fromEntries(mainC.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      CONTROL_PLANE_URL: 'https://app.orvanta.example',
      PUBLIC_URL: 'https://dr-01abc.dp.orvanta.example',
      PORT: '3100',
      WORKER_CONCURRENCY: String(SIZES.medium.workerConcurrency),
      ENROLLMENT_TOKEN: { secretKeyRef: { name: 'dataplane', key: 'ENROLLMENT_TOKEN', optional: true } },
      DATABASE_URL: { secretKeyRef: { name: 'dataplane', key: 'DATABASE_URL' } },
      REDIS_URL: { secretKeyRef: { name: 'dataplane', key: 'REDIS_URL' } },
      SECRETS_KEY: { secretKeyRef: { name: 'dataplane', key: 'SECRETS_KEY' } },
    });
    expect(main.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });

    // Workers: role worker, no token, replicas left to the HPA, which scales on queue depth.
    const worker = JSON.parse(patches[7]!.body) as DeploymentBody;
    const workerC = worker.spec.template.spec.containers[0]!;
    expect(workerC.args).toEqual(['worker']);
    expect(worker.spec.replicas).toBeUndefined();
    expect(workerC.env.map((e) => e.name)).not.toContain('ENROLLMENT_TOKEN');
    const hpa = JSON.parse(patches[13]!.body) as { spec: Record<string, unknown> };
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: 'dataplane-worker' },
      minReplicas: SIZES.medium.workers,
      maxReplicas: SIZES.medium.workers * 4,
      metrics: [{ type: 'External', external: { metric: { name: 'orvanta_queue_depth', selector: { matchLabels: { data_plane: 'dp_01XYZ' } } }, target: { type: 'AverageValue', averageValue: '50' } } }],
    });

    // Bundled Postgres sized from SIZES; service and ingress for the public URL.
    const pg = JSON.parse(patches[2]!.body) as { spec: { volumeClaimTemplates: { spec: { storageClassName: string; resources: { requests: { storage: string } } } }[] } };
    expect(pg.spec.volumeClaimTemplates[0]!.spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: `${SIZES.medium.databaseStorageGb}Gi` } } });
    const svc = JSON.parse(patches[8]!.body) as { spec: Record<string, unknown> };
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
    const ingress = JSON.parse(patches[9]!.body) as { spec: Record<string, unknown> };
    expect(ingress.spec).toMatchObject({ ingressClassName: 'nginx', rules: [{ host: 'dr-01abc.dp.orvanta.example' }], tls: [{ hosts: ['dr-01abc.dp.orvanta.example'] }] });
    const cm = JSON.parse(patches[10]!.body) as { data: Record<string, string> };
    expect(cm.data['queue-depth-exporter.mjs']).toBe(readFileSync(path.join(chartPath, 'files/queue-depth-exporter.mjs'), 'utf8'));

    // Then it polls the main Deployment until Available.
    const polls = api.requests.filter((r) => r.method === 'GET' && r.path === `/apis/apps/v1/namespaces/${ns}/deployments/dataplane`);
    expect(polls).toHaveLength(2);
    expect(steps.at(-1)).toEqual(['kubernetes.ready', `Deployment ${ns}/dataplane is available`]);
  });

  it('is idempotent: a second provision re-applies the same objects and keeps generated secrets', async () => {
    const api = fakeApiServer();
    const port = await listen(http.createServer(api.handler));
    let n = 0;
    const driver = createKubernetesDriver(config(), { connect: () => ({ server: `http://127.0.0.1:${port}`, context: 'test', token: 'test-sa-token' }), random: (bytes) => String(++n).repeat(bytes * 2) });
    const signal = new AbortController().signal;
    await driver.provision(spec, async () => undefined, signal);
    const first = api.requests.filter((r) => r.method === 'PATCH').map((r) => [r.path, r.body]);
    api.requests.length = 0;
    await driver.provision(spec, async () => undefined, signal);
    const second = api.requests.filter((r) => r.method === 'PATCH').map((r) => [r.path, r.body]);
    expect(second).toEqual(first);
    expect(n).toBe(3); // secrets key and two passwords, generated once
  });

  it('decommission deletes the namespace and waits until it is gone', async () => {
    const api = fakeApiServer();
    const port = await listen(http.createServer(api.handler));
    const driver = createKubernetesDriver(config(), { connect: () => ({ server: `http://127.0.0.1:${port}`, context: 'test', token: 'test-sa-token' }) });
    const { enrollmentToken: _t, ...rest } = spec;
    const steps: string[] = [];
    await driver.decommission(rest, { namespace: 'orvanta-dr-01abc' }, async (s) => void steps.push(s), new AbortController().signal);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['DELETE /api/v1/namespaces/orvanta-dr-01abc', 'GET /api/v1/namespaces/orvanta-dr-01abc', 'GET /api/v1/namespaces/orvanta-dr-01abc']);
    expect(JSON.parse(api.requests[0]!.body)).toMatchObject({ kind: 'DeleteOptions', propagationPolicy: 'Foreground' });
    expect(steps).toEqual(['kubernetes.delete', 'kubernetes.deleted']);
    await expect(driver.decommission(rest, { namespace: 'kube-system' }, async () => undefined, new AbortController().signal)).rejects.toThrow(/Refusing to delete namespace "kube-system"/);
  });

  it('uses a KEDA ScaledObject when configured, and says so clearly when KEDA is missing', async () => {
    const api = fakeApiServer({ keda: false });
    const port = await listen(http.createServer(api.handler));
    const driver = createKubernetesDriver(config({ autoscaling: 'keda' }), { connect: () => ({ server: `http://127.0.0.1:${port}`, context: 'test', token: 'test-sa-token' }) });
    await expect(driver.provision(spec, async () => undefined, new AbortController().signal)).rejects.toThrow('The cluster has no KEDA ScaledObject resource: install KEDA or set ORVANTA_K8S_AUTOSCALING=hpa.');
    const scaled = api.requests.find((r) => r.path.includes('/scaledobjects/'));
    expect(scaled?.path).toBe('/apis/keda.sh/v1alpha1/namespaces/orvanta-dr-01abc/scaledobjects/dataplane-worker?fieldManager=orvanta&force=true');
    expect(JSON.parse(scaled!.body)).toMatchObject({ spec: { triggers: [{ type: 'metrics-api', metadata: { url: 'http://dataplane-queue-depth.orvanta-dr-01abc.svc:9464/depth', valueLocation: 'depth' } }] } });
  });

  it('surfaces API errors and times out waiting with the last condition', async () => {
    const api = fakeApiServer();
    const port = await listen(http.createServer(api.handler));
    const denied = createKubernetesDriver(config(), { connect: () => ({ server: `http://127.0.0.1:${port}`, context: 'test', token: 'wrong' }) });
    await expect(denied.provision(spec, async () => undefined, new AbortController().signal)).rejects.toThrow(/Kubernetes API GET \/api\/v1\/namespaces\/orvanta-dr-01abc\/secrets\/dataplane answered 401: Unauthorized/);

    const stuck = http.createServer((req, res) => {
      if (req.method === 'GET' && req.url?.endsWith('/deployments/dataplane')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ metadata: { generation: 1 }, status: { observedGeneration: 1, conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }] } }));
      } else if (req.method === 'GET') res.writeHead(404).end('{}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      req.resume();
    });
    const stuckPort = await listen(stuck);
    const slow = createKubernetesDriver(config({ readyTimeoutMs: 30 }), { connect: () => ({ server: `http://127.0.0.1:${stuckPort}`, context: 'test', token: 't' }) });
    await expect(slow.provision(spec, async () => undefined, new AbortController().signal)).rejects.toThrow(/Timed out after 0 s waiting for Deployment orvanta-dr-01abc\/dataplane: MinimumReplicasUnavailable Deployment does not have minimum availability\./);
  });
});

describe('kubeconfig', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-'));

  it('reads the current context: server, inline CA and token; or file CA and client certificate', () => {
    writeFileSync(path.join(dir, 'ca.crt'), 'CA-FROM-FILE');
    writeFileSync(path.join(dir, 'client.crt'), 'CERT');
    writeFileSync(path.join(dir, 'client.key'), 'KEY');
    const file = path.join(dir, 'config');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
current-context: prod
clusters:
  - name: prod-cluster
    cluster:
      server: https://k8s.example.com:6443/
      certificate-authority-data: ${Buffer.from('INLINE-CA').toString('base64')}
  - name: lab-cluster
    cluster:
      server: https://lab.example.com
      certificate-authority: ca.crt
users:
  - name: sa
    user:
      token: sa-token
  - name: admin
    user:
      client-certificate: client.crt
      client-key: client.key
  - name: sso
    user:
      exec:
        command: aws
contexts:
  - name: prod
    context: { cluster: prod-cluster, user: sa }
  - name: lab
    context: { cluster: lab-cluster, user: admin }
  - name: sso
    context: { cluster: lab-cluster, user: sso }
`,
    );
    expect(loadKubeconfig(file)).toEqual({ server: 'https://k8s.example.com:6443', context: 'prod', ca: Buffer.from('INLINE-CA'), insecureSkipTlsVerify: false, token: 'sa-token', cert: undefined, key: undefined });
    expect(loadKubeconfig(file, 'lab')).toMatchObject({ server: 'https://lab.example.com', ca: Buffer.from('CA-FROM-FILE'), cert: Buffer.from('CERT'), key: Buffer.from('KEY'), token: undefined });
    expect(() => loadKubeconfig(file, 'sso')).toThrow(/uses an exec plugin or auth provider/);
    expect(() => loadKubeconfig(file, 'nope')).toThrow(/has no context "nope"/);
    expect(() => loadKubeconfig(path.join(dir, 'missing'))).toThrow(/Cannot read the kubeconfig .*ORVANTA_K8S_KUBECONFIG/);
  });

  it('talks TLS with the cluster CA and a bearer token', async () => {
    let tls: { key: string; cert: string };
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'srv.key'), '-out', path.join(dir, 'srv.crt'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      tls = { key: readFileSync(path.join(dir, 'srv.key'), 'utf8'), cert: readFileSync(path.join(dir, 'srv.crt'), 'utf8') };
    } catch {
      return; // no openssl: the plain-http tests above cover the protocol
    }
    const seen: string[] = [];
    const server = https.createServer(tls, (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"kind":"Namespace"}');
    });
    const port = await listen(server);
    const trusted = new KubeClient({ server: `https://127.0.0.1:${port}`, context: 'x', ca: Buffer.from(tls.cert), token: 'tok' });
    expect((await trusted.call('GET', '/api/v1/namespaces/default')).body).toEqual({ kind: 'Namespace' });
    expect(seen).toEqual(['GET /api/v1/namespaces/default Bearer tok']);
    const untrusted = new KubeClient({ server: `https://127.0.0.1:${port}`, context: 'x', token: 'tok' });
    await expect(untrusted.call('GET', '/api/v1/namespaces/default')).rejects.toThrow(/unreachable.*self-signed/);
  });
});
