import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHART_DEFAULTS, chartLabels, renderManifests, type Manifest } from '../../src/server/regions/provisioners/kubernetes.ts';
import { ONPREM_COMPOSE_TEMPLATE } from '../../src/server/regions/install.ts';
import { SIZES } from '../../src/server/regions/provisioners/types.ts';

/**
 * The kubernetes driver renders the Helm chart's manifests in TypeScript. These tests keep
 * the two in step: the TS defaults are values.yaml's, the env names and labels are the
 * templates', and the exporter script and on-prem compose file are the files in infra/.
 */
const infra = path.resolve(import.meta.dirname, '../../../../infra');
const chart = path.join(infra, 'helm/orvanta-dataplane');
const values = parse(readFileSync(path.join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const templates = Object.fromEntries(readdirSync(path.join(chart, 'templates')).map((f) => [f, readFileSync(path.join(chart, 'templates', f), 'utf8')]));

const pick = (obj: unknown, keys: readonly string[]): Record<string, unknown> => Object.fromEntries(keys.map((k) => [k, (obj as Record<string, unknown>)[k]]));

describe('Helm chart and TypeScript renderer', () => {
  it('share the defaults of values.yaml', () => {
    for (const key of ['controlPlaneUrl', 'publicUrl', 'dataPlaneId', 'image', 'main', 'podSecurityContext', 'securityContext', 'probes'] as const) {
      expect(pick(values, [key]), key).toEqual(pick(CHART_DEFAULTS, [key]));
    }
    expect(pick(values.config, Object.keys(CHART_DEFAULTS.config))).toEqual(CHART_DEFAULTS.config);
    expect(pick(values.worker, Object.keys(CHART_DEFAULTS.worker))).toEqual(CHART_DEFAULTS.worker);
    expect(pick(values.service, Object.keys(CHART_DEFAULTS.service))).toEqual(CHART_DEFAULTS.service);
    expect(pick(values.ingress, Object.keys(CHART_DEFAULTS.ingress))).toEqual(CHART_DEFAULTS.ingress);
    expect(pick(values.autoscaling, Object.keys(CHART_DEFAULTS.autoscaling))).toEqual(CHART_DEFAULTS.autoscaling);
    expect(pick(values.queueDepthExporter, Object.keys(CHART_DEFAULTS.queueDepthExporter))).toEqual(CHART_DEFAULTS.queueDepthExporter);
    expect(pick(values.postgresql, Object.keys(CHART_DEFAULTS.postgresql))).toEqual(CHART_DEFAULTS.postgresql);
    expect(pick(values.redis, Object.keys(CHART_DEFAULTS.redis))).toEqual(CHART_DEFAULTS.redis);
  });

  it('default to the small size', () => {
    const small = SIZES.small;
    const resources = { requests: { cpu: small.cpu, memory: small.memory }, limits: { memory: small.memory } };
    expect(CHART_DEFAULTS.main.resources).toEqual(resources);
    expect(CHART_DEFAULTS.worker).toMatchObject({ replicas: small.workers, workerConcurrency: small.workerConcurrency, resources });
    expect(CHART_DEFAULTS.autoscaling).toMatchObject({ minReplicas: small.workers, maxReplicas: small.workers * 4 });
    expect(CHART_DEFAULTS.postgresql.storage).toBe(`${small.databaseStorageGb}Gi`);
  });

  const rendered = renderManifests(
    { ...CHART_DEFAULTS, controlPlaneUrl: 'https://cp.example', publicUrl: 'https://dp.example', dataPlaneId: 'dp_1', postgresql: { ...CHART_DEFAULTS.postgresql, enabled: true }, redis: { ...CHART_DEFAULTS.redis, enabled: true } },
    { namespace: 'ns', secrets: { enrollmentToken: 't', secretsKey: 'k'.repeat(48), postgresPassword: 'p', redisPassword: 'r' }, exporterScript: '' },
  );
  type PodOwner = Manifest & { spec: { template: { spec: { containers: { env: { name: string }[] }[] } } } };
  const byName = (kind: string, name: string) => rendered.find((m) => m.kind === kind && m.metadata.name === name) as PodOwner;

  it('set the same environment variables as the templates', () => {
    const helpers = templates['_helpers.tpl']!;
    const envBlock = helpers.slice(helpers.indexOf('define "orvanta-dataplane.env"'));
    const templateEnv = [...envBlock.matchAll(/^- name: ([A-Z_]+)$/gm)].map((m) => m[1]);
    const main = byName('Deployment', 'dataplane').spec.template.spec.containers[0]!;
    expect(main.env.map((e) => e.name)).toEqual(templateEnv);
    // And every name the data plane reads is among them (services/dataplane/src/config.ts).
    const dataPlaneConfig = readFileSync(path.resolve(infra, '../services/dataplane/src/config.ts'), 'utf8');
    for (const name of templateEnv) expect(dataPlaneConfig).toContain(`${name}:`);
    const exporterEnv = [...templates['queue-depth-exporter.yaml']!.matchAll(/- name: ([A-Z_]+)$/gm)].map((m) => m[1]);
    const exporter = byName('Deployment', 'dataplane-queue-depth').spec.template.spec.containers[0]!;
    expect(exporter.env.map((e) => e.name)).toEqual(exporterEnv);
  });

  it('use the template labels, names, ports and kinds', () => {
    const helpers = templates['_helpers.tpl']!;
    for (const key of Object.keys(chartLabels({ ...CHART_DEFAULTS, dataPlaneId: 'x' }, 'r', 'c'))) {
      if (key === 'app.kubernetes.io/component') expect(Object.values(templates).join('\n')).toContain(`${key}: main`);
      else expect(helpers).toContain(`${key}:`);
    }
    const kinds = new Set(Object.values(templates).flatMap((t) => [...t.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1])));
    for (const m of rendered) if (m.kind !== 'Namespace') expect(kinds).toContain(m.kind);
    expect(templates['deployment.yaml']).toContain('containerPort: {{ .Values.config.port }}');
    expect(templates['deployment.yaml']).toContain('path: {{ .Values.probes.path }}');
    expect(templates['service.yaml']).toContain('port: {{ .Values.service.port }}');
    expect(templates['deployment.yaml']).toContain('args: [{{ .Values.main.role | quote }}]');
    expect(templates['deployment-worker.yaml']).toContain('args: ["worker"]');
    for (const name of ['{{ $fullname }}-worker', '{{ $fullname }}-queue-depth', '{{ $fullname }}-postgresql', '{{ $fullname }}-redis']) expect(Object.values(templates).join('\n')).toContain(`name: ${name}`);
    expect(rendered.map((m) => m.metadata.name)).toEqual(expect.arrayContaining(['dataplane-worker', 'dataplane-queue-depth', 'dataplane-postgresql', 'dataplane-redis']));
    expect(templates['hpa.yaml']).toContain('data_plane: {{ include "orvanta-dataplane.metricLabel" . | quote }}');
    expect(templates['scaledobject.yaml']).toContain('-queue-depth.{{ .Release.Namespace }}.svc:{{ .Values.queueDepthExporter.port }}/depth');
  });

  it('keep templates balanced: every {{ if/with/range/define }} has its {{ end }}', () => {
    for (const [file, text] of Object.entries(templates)) {
      if (!file.endsWith('.yaml') && !file.endsWith('.tpl')) continue;
      const actions = [...text.matchAll(/\{\{-?\s*(if|with|range|define|end)\b/g)].map((m) => m[1]);
      let depth = 0;
      for (const a of actions) {
        depth += a === 'end' ? -1 : 1;
        expect(depth, file).toBeGreaterThanOrEqual(0);
      }
      expect(depth, file).toBe(0);
      expect(text.split('{{').length, file).toBe(text.split('}}').length);
    }
  });
});

describe('files in infra/ that the console carries copies of', () => {
  it('the on-prem compose template is infra/compose/onprem.yaml', () => {
    expect(ONPREM_COMPOSE_TEMPLATE).toBe(readFileSync(path.join(infra, 'compose/onprem.yaml'), 'utf8'));
  });
});
