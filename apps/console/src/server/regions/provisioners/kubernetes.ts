import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { dnsLabel, fillUrlTemplate, type KubernetesDriverConfig } from './config.ts';
import { SIZES, type DedicatedRegionSpec, type ProvisionerDriver, type ProvisionResult, type StepReporter } from './types.ts';

/**
 * The `kubernetes` driver: installs one data plane per dedicated region into a cluster,
 * in its own namespace (`orvanta-<id>`), through the Kubernetes API with server-side apply.
 * The manifests are those of the Helm chart infra/helm/orvanta-dataplane, rendered here
 * from the same values (chart-sync.test.ts keeps the two in step), with the chart's bundled
 * Postgres and Redis turned on so the namespace holds the whole data plane.
 */

// ---------------------------------------------------------------------------------------
// Chart values: the subset of infra/helm/orvanta-dataplane/values.yaml the renderer reads.

type Resources = { requests: { cpu: string; memory: string }; limits: { memory: string } };

export interface ChartValues {
  controlPlaneUrl: string;
  publicUrl: string;
  dataPlaneId: string;
  image: { repository: string; tag: string; reference: string; pullPolicy: string };
  config: { port: number; redisPrefix: string; logLevel: string; scriptLanguages: string; scriptTimeoutMs: number; scriptMemoryMb: number; sandboxThreads: number; egressAllowPrivate: boolean };
  main: { role: 'all'; workerConcurrency: number; resources: Resources };
  worker: { enabled: boolean; replicas: number; workerConcurrency: number; resources: Resources };
  service: { type: string; port: number };
  ingress: { enabled: boolean; className: string; host: string; annotations: Record<string, string>; tls: { secretName: string; hosts: string[] }[] };
  autoscaling: { enabled: boolean; mode: 'hpa' | 'keda'; minReplicas: number; maxReplicas: number; targetQueueDepthPerWorker: number; metricName: string; keda: { pollingInterval: number; cooldownPeriod: number } };
  queueDepthExporter: { enabled: boolean; port: number; resources: Resources; podAnnotations: Record<string, string> };
  postgresql: { enabled: boolean; image: string; database: string; username: string; storage: string; storageClass: string; resources: Resources };
  redis: { enabled: boolean; image: string; resources: Resources };
  podSecurityContext: Record<string, unknown>;
  securityContext: Record<string, unknown>;
  probes: { path: string };
}

/** The chart's defaults (values.yaml), i.e. the `small` size. */
export const CHART_DEFAULTS: ChartValues = {
  controlPlaneUrl: '',
  publicUrl: '',
  dataPlaneId: '',
  image: { repository: 'ghcr.io/orvanta/dataplane', tag: '0.1.0', reference: '', pullPolicy: 'IfNotPresent' },
  config: { port: 3100, redisPrefix: 'orvanta', logLevel: 'info', scriptLanguages: 'javascript,typescript', scriptTimeoutMs: 10000, scriptMemoryMb: 64, sandboxThreads: 2, egressAllowPrivate: false },
  main: { role: 'all', workerConcurrency: 8, resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } } },
  worker: { enabled: true, replicas: 1, workerConcurrency: 8, resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } } },
  service: { type: 'ClusterIP', port: 80 },
  ingress: { enabled: false, className: '', host: '', annotations: {}, tls: [] },
  autoscaling: { enabled: true, mode: 'hpa', minReplicas: 1, maxReplicas: 4, targetQueueDepthPerWorker: 50, metricName: 'orvanta_queue_depth', keda: { pollingInterval: 15, cooldownPeriod: 120 } },
  queueDepthExporter: {
    enabled: true,
    port: 9464,
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
    podAnnotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464', 'prometheus.io/path': '/metrics' },
  },
  postgresql: { enabled: false, image: 'postgres:16-alpine', database: 'orvanta', username: 'orvanta', storage: '20Gi', storageClass: '', resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } } },
  redis: { enabled: false, image: 'redis:7-alpine', resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } } },
  podSecurityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  probes: { path: '/healthz' },
};

/** The chart release name the driver uses: resources are `dataplane`, `dataplane-worker`… */
export const RELEASE = 'dataplane';

export const namespaceFor = (regionId: string) => `orvanta-${dnsLabel(regionId)}`.slice(0, 63).replace(/-+$/, '');

/** The chart values for one dedicated region: sizes from SIZES, bundled Postgres and Redis on. */
export function valuesForSpec(spec: Omit<DedicatedRegionSpec, 'enrollmentToken'>, config: Pick<KubernetesDriverConfig, 'publicUrlTemplate' | 'ingressClassName' | 'ingressAnnotations' | 'serviceType' | 'storageClass' | 'autoscaling'>): ChartValues {
  const size = SIZES[spec.size];
  const resources: Resources = { requests: { cpu: size.cpu, memory: size.memory }, limits: { memory: size.memory } };
  const publicUrl = config.publicUrlTemplate ? fillUrlTemplate(config.publicUrlTemplate, spec.id) : '';
  const host = publicUrl ? new URL(publicUrl).hostname : '';
  return {
    ...CHART_DEFAULTS,
    controlPlaneUrl: spec.controlPlaneUrl,
    publicUrl,
    dataPlaneId: spec.dataPlaneId,
    image: { ...CHART_DEFAULTS.image, reference: spec.image },
    main: { ...CHART_DEFAULTS.main, workerConcurrency: size.workerConcurrency, resources },
    worker: { ...CHART_DEFAULTS.worker, replicas: size.workers, workerConcurrency: size.workerConcurrency, resources },
    service: { ...CHART_DEFAULTS.service, type: config.serviceType },
    ingress: {
      enabled: Boolean(publicUrl),
      className: config.ingressClassName ?? '',
      host,
      annotations: config.ingressAnnotations,
      tls: publicUrl.startsWith('https:') ? [{ secretName: `${RELEASE}-tls`, hosts: [host] }] : [],
    },
    autoscaling: {
      ...CHART_DEFAULTS.autoscaling,
      enabled: config.autoscaling !== 'none',
      mode: config.autoscaling === 'keda' ? 'keda' : 'hpa',
      minReplicas: size.workers,
      maxReplicas: size.workers * 4,
    },
    postgresql: { ...CHART_DEFAULTS.postgresql, enabled: true, storage: `${size.databaseStorageGb}Gi`, storageClass: config.storageClass ?? '' },
    redis: { ...CHART_DEFAULTS.redis, enabled: true },
  };
}

// ---------------------------------------------------------------------------------------
// Renderer: what `helm template dataplane infra/helm/orvanta-dataplane` produces.

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [field: string]: unknown };

/** Secret values the chart's Secret holds. */
export interface SecretValues {
  enrollmentToken: string;
  secretsKey: string;
  postgresPassword: string;
  redisPassword: string;
  /** Used when postgresql / redis are not bundled. */
  databaseUrl?: string;
  redisUrl?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function chartLabels(values: ChartValues, release: string, component?: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'orvanta-dataplane',
    'app.kubernetes.io/instance': release,
    'app.kubernetes.io/part-of': 'orvanta',
    'app.kubernetes.io/managed-by': 'orvanta',
    ...(values.dataPlaneId ? { 'orvanta.dev/data-plane-id': values.dataPlaneId } : {}),
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
  };
}

const selector = (release: string, component: string) => ({ 'app.kubernetes.io/name': 'orvanta-dataplane', 'app.kubernetes.io/instance': release, 'app.kubernetes.io/component': component });

function containerSecurityContext(values: ChartValues) {
  return { ...values.securityContext };
}

/** The env list of a data-plane container, in the chart's order (templates/_helpers.tpl "orvanta-dataplane.env"). */
export function dataPlaneEnv(values: ChartValues, secretName: string, concurrency: number, agent: boolean) {
  const ref = (key: string, optional?: boolean) => ({ name: key, valueFrom: { secretKeyRef: { name: secretName, key, ...(optional ? { optional: true } : {}) } } });
  return [
    { name: 'CONTROL_PLANE_URL', value: values.controlPlaneUrl },
    ...(values.publicUrl ? [{ name: 'PUBLIC_URL', value: values.publicUrl }] : []),
    { name: 'PORT', value: String(values.config.port) },
    { name: 'HOST', value: '0.0.0.0' },
    { name: 'REDIS_PREFIX', value: values.config.redisPrefix },
    { name: 'WORKER_CONCURRENCY', value: String(concurrency) },
    { name: 'SANDBOX_THREADS', value: String(values.config.sandboxThreads) },
    { name: 'SCRIPT_LANGUAGES', value: values.config.scriptLanguages },
    { name: 'SCRIPT_TIMEOUT_MS', value: String(values.config.scriptTimeoutMs) },
    { name: 'SCRIPT_MEMORY_MB', value: String(values.config.scriptMemoryMb) },
    { name: 'EGRESS_ALLOW_PRIVATE', value: String(values.config.egressAllowPrivate) },
    { name: 'LOG_LEVEL', value: values.config.logLevel },
    { name: 'MIGRATE_ON_START', value: 'true' },
    ref('DATABASE_URL'),
    ref('REDIS_URL'),
    ref('SECRETS_KEY'),
    ...(agent ? [ref('ENROLLMENT_TOKEN', true)] : []),
  ];
}

function podCommon(values: ChartValues) {
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 30,
    securityContext: values.podSecurityContext,
    volumes: [{ name: 'tmp', emptyDir: {} }],
  };
}

/** Renders the chart's manifests for `values` into `namespace`, in apply order. */
export function renderManifests(
  values: ChartValues,
  opts: { namespace: string; release?: string; secrets: SecretValues; namespaceLabels?: Record<string, string>; /** The chart's files/queue-depth-exporter.mjs. */ exporterScript: string },
): Manifest[] {
  const release = opts.release ?? RELEASE;
  const ns = opts.namespace;
  const fullname = release;
  const labels = (component?: string) => chartLabels(values, release, component);
  const meta = (name: string, component?: string, annotations?: Record<string, string>) => ({ name, namespace: ns, labels: labels(component), ...(annotations && Object.keys(annotations).length ? { annotations } : {}) });
  const image = values.image.reference || `${values.image.repository}:${values.image.tag}`;
  /** The data-plane container of both Deployments: the one image, its role and settings in `fields`. */
  const container = (fields: Record<string, unknown>) => ({
    name: 'dataplane',
    image,
    imagePullPolicy: values.image.pullPolicy,
    ...fields,
    securityContext: containerSecurityContext(values),
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  });
  const metricLabel = values.dataPlaneId || fullname;
  const out: Manifest[] = [];

  out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'app.kubernetes.io/part-of': 'orvanta', 'app.kubernetes.io/managed-by': 'orvanta', ...opts.namespaceLabels } } });

  const databaseUrl = values.postgresql.enabled ? `postgresql://${values.postgresql.username}:${opts.secrets.postgresPassword}@${fullname}-postgresql:5432/${values.postgresql.database}` : opts.secrets.databaseUrl;
  const redisUrl = values.redis.enabled ? `redis://:${opts.secrets.redisPassword}@${fullname}-redis:6379/0` : opts.secrets.redisUrl;
  if (!databaseUrl || !redisUrl) throw new Error('DATABASE_URL and REDIS_URL are required unless postgresql and redis are bundled');
  out.push({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(fullname),
    type: 'Opaque',
    data: {
      ENROLLMENT_TOKEN: b64(opts.secrets.enrollmentToken),
      DATABASE_URL: b64(databaseUrl),
      REDIS_URL: b64(redisUrl),
      SECRETS_KEY: b64(opts.secrets.secretsKey),
      ...(values.postgresql.enabled ? { POSTGRES_PASSWORD: b64(opts.secrets.postgresPassword) } : {}),
      ...(values.redis.enabled ? { REDIS_PASSWORD: b64(opts.secrets.redisPassword) } : {}),
    },
  });

  if (values.postgresql.enabled) {
    const pg = values.postgresql;
    out.push({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(`${fullname}-postgresql`, 'postgresql'),
      spec: {
        serviceName: `${fullname}-postgresql`,
        replicas: 1,
        selector: { matchLabels: selector(release, 'postgresql') },
        template: {
          metadata: { labels: labels('postgresql') },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { runAsNonRoot: true, runAsUser: 70, runAsGroup: 70, fsGroup: 70, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'postgresql',
                image: pg.image,
                ports: [{ name: 'postgresql', containerPort: 5432 }],
                env: [
                  { name: 'POSTGRES_DB', value: pg.database },
                  { name: 'POSTGRES_USER', value: pg.username },
                  { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: fullname, key: 'POSTGRES_PASSWORD' } } },
                  { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                ],
                readinessProbe: { exec: { command: ['pg_isready', '-U', pg.username, '-d', pg.database] }, periodSeconds: 10 },
                resources: pg.resources,
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/postgresql/data' },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                ],
              },
            ],
            volumes: [{ name: 'run', emptyDir: {} }],
          },
        },
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], ...(pg.storageClass ? { storageClassName: pg.storageClass } : {}), resources: { requests: { storage: pg.storage } } } },
        ],
      },
    });
    out.push(service(meta(`${fullname}-postgresql`, 'postgresql'), 'ClusterIP', selector(release, 'postgresql'), [{ name: 'postgresql', port: 5432, targetPort: 'postgresql' }]));
  }

  if (values.redis.enabled) {
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(`${fullname}-redis`, 'redis'),
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector(release, 'redis') },
        template: {
          metadata: { labels: labels('redis') },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'redis',
                image: values.redis.image,
                args: ['--requirepass', '$(REDIS_PASSWORD)', '--maxmemory-policy', 'noeviction', '--appendonly', 'no', '--dir', '/data'],
                ports: [{ name: 'redis', containerPort: 6379 }],
                env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: fullname, key: 'REDIS_PASSWORD' } } }],
                readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 10 },
                resources: values.redis.resources,
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
            ],
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    });
    out.push(service(meta(`${fullname}-redis`, 'redis'), 'ClusterIP', selector(release, 'redis'), [{ name: 'redis', port: 6379, targetPort: 'redis' }]));
  }

  const probe = (periodSeconds: number, failureThreshold: number) => ({ httpGet: { path: values.probes.path, port: 'http' }, periodSeconds, failureThreshold });
  out.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(fullname, 'main'),
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selector(release, 'main') },
      template: {
        metadata: { labels: labels('main') },
        spec: {
          ...podCommon(values),
          containers: [
            container({
              args: [values.main.role],
              ports: [{ name: 'http', containerPort: values.config.port, protocol: 'TCP' }],
              env: dataPlaneEnv(values, fullname, values.main.workerConcurrency, true),
              startupProbe: probe(5, 60),
              readinessProbe: probe(10, 3),
              livenessProbe: probe(20, 6),
              resources: values.main.resources,
            }),
          ],
        },
      },
    },
  });

  if (values.worker.enabled) {
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(`${fullname}-worker`, 'worker'),
      spec: {
        // With autoscaling the HPA/KEDA owns replicas: applying a count would fight it.
        ...(values.autoscaling.enabled ? {} : { replicas: values.worker.replicas }),
        selector: { matchLabels: selector(release, 'worker') },
        template: {
          metadata: { labels: labels('worker') },
          spec: {
            ...podCommon(values),
            containers: [container({ args: ['worker'], env: dataPlaneEnv(values, fullname, values.worker.workerConcurrency, false), resources: values.worker.resources })],
          },
        },
      },
    });
  }

  out.push(service(meta(fullname, 'main'), values.service.type, selector(release, 'main'), [{ name: 'http', port: values.service.port, targetPort: 'http', protocol: 'TCP' }]));

  if (values.ingress.enabled) {
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta(fullname, 'main', values.ingress.annotations),
      spec: {
        ...(values.ingress.className ? { ingressClassName: values.ingress.className } : {}),
        ...(values.ingress.tls.length ? { tls: values.ingress.tls } : {}),
        rules: [{ host: values.ingress.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: fullname, port: { name: 'http' } } } }] } }],
      },
    });
  }

  if (values.queueDepthExporter.enabled) {
    const ex = values.queueDepthExporter;
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${fullname}-queue-depth`, 'queue-depth'), data: { 'queue-depth-exporter.mjs': opts.exporterScript } });
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(`${fullname}-queue-depth`, 'queue-depth'),
      spec: {
        replicas: 1,
        selector: { matchLabels: selector(release, 'queue-depth') },
        template: {
          metadata: { labels: labels('queue-depth'), annotations: ex.podAnnotations },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: values.podSecurityContext,
            containers: [
              {
                name: 'exporter',
                image,
                imagePullPolicy: values.image.pullPolicy,
                command: ['node', '/opt/orvanta/queue-depth-exporter.mjs'],
                ports: [{ name: 'metrics', containerPort: ex.port, protocol: 'TCP' }],
                env: [
                  { name: 'METRICS_PORT', value: String(ex.port) },
                  { name: 'REDIS_PREFIX', value: values.config.redisPrefix },
                  { name: 'DATA_PLANE_LABEL', value: metricLabel },
                  { name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: fullname, key: 'REDIS_URL' } } },
                ],
                readinessProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 15 },
                resources: ex.resources,
                securityContext: values.securityContext,
                volumeMounts: [{ name: 'script', mountPath: '/opt/orvanta', readOnly: true }],
              },
            ],
            volumes: [{ name: 'script', configMap: { name: `${fullname}-queue-depth` } }],
          },
        },
      },
    });
    out.push(service(meta(`${fullname}-queue-depth`, 'queue-depth'), 'ClusterIP', selector(release, 'queue-depth'), [{ name: 'metrics', port: ex.port, targetPort: 'metrics', protocol: 'TCP' }]));
  }

  const a = values.autoscaling;
  if (values.worker.enabled && a.enabled && a.mode === 'hpa') {
    out.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta(`${fullname}-worker`, 'worker'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${fullname}-worker` },
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics: [{ type: 'External', external: { metric: { name: a.metricName, selector: { matchLabels: { data_plane: metricLabel } } }, target: { type: 'AverageValue', averageValue: String(a.targetQueueDepthPerWorker) } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      },
    });
  }
  if (values.worker.enabled && a.enabled && a.mode === 'keda') {
    out.push({
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: meta(`${fullname}-worker`, 'worker'),
      spec: {
        scaleTargetRef: { name: `${fullname}-worker` },
        minReplicaCount: a.minReplicas,
        maxReplicaCount: a.maxReplicas,
        pollingInterval: a.keda.pollingInterval,
        cooldownPeriod: a.keda.cooldownPeriod,
        triggers: [
          {
            type: 'metrics-api',
            metricType: 'AverageValue',
            metadata: { url: `http://${fullname}-queue-depth.${ns}.svc:${values.queueDepthExporter.port}/depth`, valueLocation: 'depth', targetValue: String(a.targetQueueDepthPerWorker) },
          },
        ],
      },
    });
  }
  return out;
}

function service(metadata: Manifest['metadata'], type: string, sel: Record<string, string>, ports: object[]): Manifest {
  return { apiVersion: 'v1', kind: 'Service', metadata, spec: { type, selector: sel, ports } };
}

const PLURALS: Record<string, string> = {
  Namespace: 'namespaces',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
  Service: 'services',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  Ingress: 'ingresses',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
  ScaledObject: 'scaledobjects',
};

/** The REST path of a manifest: /api/v1/… for the core group, /apis/<group>/<version>/… otherwise. */
export function resourcePath(m: Pick<Manifest, 'apiVersion' | 'kind' | 'metadata'>): string {
  const plural = PLURALS[m.kind];
  if (!plural) throw new Error(`No REST path known for kind ${m.kind}`);
  const base = m.apiVersion.includes('/') ? `/apis/${m.apiVersion}` : `/api/${m.apiVersion}`;
  const ns = m.metadata.namespace ? `/namespaces/${encodeURIComponent(m.metadata.namespace)}` : '';
  return `${base}${ns}/${plural}/${encodeURIComponent(m.metadata.name)}`;
}

// ---------------------------------------------------------------------------------------
// kubeconfig and the API client.

export interface ClusterConnection {
  server: string;
  context: string;
  ca?: Buffer;
  insecureSkipTlsVerify?: boolean;
  token?: string;
  cert?: Buffer;
  key?: Buffer;
}

type NamedEntry<K extends string, T> = { name: string } & Record<K, T>;
interface KubeconfigFile {
  'current-context'?: string;
  clusters?: NamedEntry<'cluster', { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean }>[];
  users?: NamedEntry<'user', { token?: string; tokenFile?: string; 'client-certificate'?: string; 'client-certificate-data'?: string; 'client-key'?: string; 'client-key-data'?: string; exec?: unknown; 'auth-provider'?: unknown; username?: string }>[];
  contexts?: NamedEntry<'context', { cluster: string; user: string; namespace?: string }>[];
}

/**
 * Reads a kubeconfig: the chosen (or current) context's cluster server and CA, and its
 * user's bearer token or client certificate. Relative file paths are relative to the
 * kubeconfig, as kubectl does. exec plugins and auth providers are not supported.
 */
export function loadKubeconfig(file: string, contextName?: string, read: (p: string) => Buffer = (p) => readFileSync(p)): ClusterConnection {
  let doc: KubeconfigFile;
  try {
    doc = parseYaml(read(file).toString('utf8')) as KubeconfigFile;
  } catch (err) {
    throw new Error(`Cannot read the kubeconfig ${file}: ${(err as Error).message}. Set ORVANTA_K8S_KUBECONFIG to a readable kubeconfig.`);
  }
  const name = contextName ?? doc['current-context'];
  if (!name) throw new Error(`The kubeconfig ${file} has no current-context: set ORVANTA_K8S_CONTEXT.`);
  const context = doc.contexts?.find((c) => c.name === name)?.context;
  if (!context) throw new Error(`The kubeconfig ${file} has no context "${name}".`);
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`The kubeconfig ${file} has no cluster "${context.cluster}" with a server.`);
  const user = doc.users?.find((u) => u.name === context.user)?.user ?? {};
  const fileAt = (p: string) => read(path.resolve(path.dirname(file), p));
  const data = (inline: string | undefined, filePath: string | undefined) => (inline ? Buffer.from(inline, 'base64') : filePath ? fileAt(filePath) : undefined);
  const conn: ClusterConnection = {
    server: cluster.server.replace(/\/+$/, ''),
    context: name,
    ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    token: user.token ?? (user.tokenFile ? fileAt(user.tokenFile).toString('utf8').trim() : undefined),
    cert: data(user['client-certificate-data'], user['client-certificate']),
    key: data(user['client-key-data'], user['client-key']),
  };
  if (!conn.token && !(conn.cert && conn.key)) {
    const why = user.exec || user['auth-provider'] ? 'uses an exec plugin or auth provider, which the kubernetes driver does not run' : 'has neither a token nor a client certificate and key';
    throw new Error(`The kubeconfig user "${context.user}" ${why}: give the control plane a service-account token or a client certificate.`);
  }
  return conn;
}

export class KubernetesApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    message: string,
  ) {
    super(`Kubernetes API ${method} ${path} answered ${status}: ${message}`);
    this.name = 'KubernetesApiError';
  }
}

export interface KubeResponse {
  status: number;
  body: unknown;
}

/** A minimal Kubernetes REST client over node:https (node:http for http:// servers), with the kubeconfig's CA and credentials. */
export class KubeClient {
  constructor(private readonly conn: ClusterConnection) {}

  request(method: string, apiPath: string, opts: { body?: string; contentType?: string; signal?: AbortSignal } = {}): Promise<KubeResponse> {
    const url = new URL(apiPath, `${this.conn.server}/`);
    const isHttps = url.protocol === 'https:';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.conn.token) headers.authorization = `Bearer ${this.conn.token}`;
    if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(opts.body));
    }
    const options: https.RequestOptions = {
      method,
      headers,
      signal: opts.signal,
      timeout: 30_000,
      ...(isHttps ? { ca: this.conn.ca, cert: this.conn.cert, key: this.conn.key, rejectUnauthorized: !this.conn.insecureSkipTlsVerify } : {}),
    };
    return new Promise<KubeResponse>((resolve, reject) => {
      const req = (isHttps ? https : http).request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            /* keep text */
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`Kubernetes API ${method} ${url.pathname} timed out`)));
      req.on('error', (err) => reject(new Error(`Kubernetes API ${this.conn.server} unreachable (${method} ${url.pathname}): ${err.message}`)));
      req.end(opts.body);
    });
  }

  /** Like request, but throws on anything but 2xx (and on 404 unless allowed). */
  async call(method: string, apiPath: string, opts: { body?: string; contentType?: string; signal?: AbortSignal; allow404?: boolean } = {}): Promise<KubeResponse> {
    const res = await this.request(method, apiPath, opts);
    if ((res.status >= 200 && res.status < 300) || (opts.allow404 && res.status === 404)) return res;
    const message = typeof res.body === 'object' && res.body && 'message' in res.body ? String((res.body as { message: unknown }).message) : `HTTP ${res.status}`;
    throw new KubernetesApiError(res.status, method, apiPath, message);
  }

  /** Server-side apply: creates or updates the object, owned by the `orvanta` field manager. */
  apply(manifest: Manifest, signal?: AbortSignal): Promise<KubeResponse> {
    return this.call('PATCH', `${resourcePath(manifest)}?fieldManager=orvanta&force=true`, { body: JSON.stringify(manifest), contentType: 'application/apply-patch+yaml', signal });
  }
}

// ---------------------------------------------------------------------------------------
// The driver.

export interface KubernetesDriverDeps {
  /** Connection to the cluster; default: read from the configured kubeconfig. */
  connect?: () => ClusterConnection;
  /** Random secret material (tests fix it). */
  random?: (bytes: number) => string;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });

interface DeploymentStatus {
  metadata?: { generation?: number };
  status?: { observedGeneration?: number; availableReplicas?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export function createKubernetesDriver(config: KubernetesDriverConfig, deps: KubernetesDriverDeps = {}): ProvisionerDriver {
  const connect = deps.connect ?? (() => loadKubeconfig(config.kubeconfigPath, config.context));
  const exporterScript = () => {
    if (!config.chartPath) throw new Error('The Helm chart infra/helm/orvanta-dataplane was not found: set ORVANTA_K8S_CHART to its directory.');
    return readFileSync(path.join(config.chartPath, 'files/queue-depth-exporter.mjs'), 'utf8');
  };
  const random = deps.random ?? ((bytes: number) => randomBytes(bytes).toString('hex'));
  const sleep = deps.sleep ?? defaultSleep;

  async function waitFor<T>(what: string, check: () => Promise<{ done: true; value: T } | { done: false; detail: string }>, signal: AbortSignal): Promise<T> {
    const deadline = Date.now() + config.readyTimeoutMs;
    for (;;) {
      signal.throwIfAborted();
      const result = await check();
      if (result.done) return result.value;
      if (Date.now() >= deadline) throw new Error(`Timed out after ${Math.round(config.readyTimeoutMs / 1000)} s waiting for ${what}: ${result.detail}`);
      await sleep(config.pollIntervalMs, signal);
    }
  }

  return {
    name: 'kubernetes',

    async provision(spec: DedicatedRegionSpec, report: StepReporter, signal: AbortSignal): Promise<ProvisionResult> {
      const conn = connect();
      const client = new KubeClient(conn);
      const namespace = namespaceFor(spec.id);
      const values = valuesForSpec(spec, config);
      await report('kubernetes.connect', `cluster ${conn.server} (context ${conn.context})`);

      // Generated secrets are created once and read back on every later call (idempotency).
      const existing = await client.call('GET', resourcePath({ apiVersion: 'v1', kind: 'Secret', metadata: { name: RELEASE, namespace } }), { signal, allow404: true });
      const previous = existing.status === 404 ? {} : (((existing.body as { data?: Record<string, string> }).data ?? {}) as Record<string, string>);
      const kept = (key: string) => (previous[key] ? Buffer.from(previous[key], 'base64').toString('utf8') : undefined);
      const secrets: SecretValues = {
        enrollmentToken: spec.enrollmentToken,
        secretsKey: kept('SECRETS_KEY') ?? random(24),
        postgresPassword: kept('POSTGRES_PASSWORD') ?? random(16),
        redisPassword: kept('REDIS_PASSWORD') ?? random(16),
      };
      const manifests = renderManifests(values, { namespace, secrets, exporterScript: exporterScript(), namespaceLabels: { 'orvanta.dev/region-id': dnsLabel(spec.id), 'orvanta.dev/tenant-id': dnsLabel(spec.tenantId) } });
      for (const manifest of manifests) {
        signal.throwIfAborted();
        try {
          await client.apply(manifest, signal);
        } catch (err) {
          if (err instanceof KubernetesApiError && err.status === 404 && manifest.kind === 'ScaledObject') {
            throw new Error('The cluster has no KEDA ScaledObject resource: install KEDA or set ORVANTA_K8S_AUTOSCALING=hpa.', { cause: err });
          }
          throw err;
        }
        await report('kubernetes.apply', `${manifest.kind} ${manifest.kind === 'Namespace' ? manifest.metadata.name : `${namespace}/${manifest.metadata.name}`}`);
      }

      await report('kubernetes.wait', `waiting for Deployment ${namespace}/${RELEASE} to become available`);
      const deploymentPath = resourcePath({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: RELEASE, namespace } });
      await waitFor(
        `Deployment ${namespace}/${RELEASE}`,
        async () => {
          const { body } = await client.call('GET', deploymentPath, { signal });
          const d = body as DeploymentStatus;
          const available = d.status?.conditions?.find((c) => c.type === 'Available');
          const current = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
          if (current && available?.status === 'True' && (d.status?.availableReplicas ?? 0) >= 1) return { done: true, value: undefined };
          return { done: false, detail: available ? `${available.reason ?? ''} ${available.message ?? ''}`.trim() || 'not available' : 'no Available condition yet' };
        },
        signal,
      );
      await report('kubernetes.ready', `Deployment ${namespace}/${RELEASE} is available`);
      return {
        ...(values.publicUrl ? { publicUrl: values.publicUrl } : {}),
        resources: { namespace, release: RELEASE, server: conn.server, context: conn.context },
      };
    },

    async decommission(spec, resources, report, signal): Promise<void> {
      const client = new KubeClient(connect());
      const namespace = resources.namespace ?? namespaceFor(spec.id);
      if (!namespace.startsWith('orvanta-')) throw new Error(`Refusing to delete namespace "${namespace}": not one the kubernetes driver created.`);
      const nsPath = resourcePath({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      const res = await client.call('DELETE', nsPath, { body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' }), signal, allow404: true });
      await report('kubernetes.delete', res.status === 404 ? `namespace ${namespace} already gone` : `deleting namespace ${namespace}`);
      await waitFor(
        `namespace ${namespace} to be deleted`,
        async () => {
          const r = await client.call('GET', nsPath, { signal, allow404: true });
          return r.status === 404 ? { done: true, value: undefined } : { done: false, detail: 'still terminating' };
        },
        signal,
      );
      await report('kubernetes.deleted', `namespace ${namespace} deleted`);
    },
  };
}
