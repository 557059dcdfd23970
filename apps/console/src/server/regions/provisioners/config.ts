import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * Settings of the cloud provisioner drivers, read from the control plane's environment once
 * and handed to the drivers as arguments (drivers never read process.env). Only the driver
 * a deployment uses needs its variables; see infra/README.md.
 */
export const provisionerEnvSchema = z.object({
  /** kubeconfig file for the kubernetes driver (default: $KUBECONFIG, then ~/.kube/config). */
  ORVANTA_K8S_KUBECONFIG: z.string().min(1).optional(),
  KUBECONFIG: z.string().min(1).optional(),
  /** kubeconfig context to use (default: its current-context). */
  ORVANTA_K8S_CONTEXT: z.string().min(1).optional(),
  /** Public URL of each dedicated data plane, with `{id}` for the region id, e.g. https://{id}.dp.orvanta.example. Enables an Ingress. */
  ORVANTA_K8S_PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^/]*\{id\}/, 'must be an http(s) URL whose host contains {id}, e.g. https://{id}.dp.orvanta.example')
    .optional(),
  ORVANTA_K8S_INGRESS_CLASS: z.string().min(1).optional(),
  /** JSON object of Ingress annotations, e.g. {"cert-manager.io/cluster-issuer":"letsencrypt"}. */
  ORVANTA_K8S_INGRESS_ANNOTATIONS: z
    .string()
    .transform((s, ctx) => {
      try {
        return z.record(z.string(), z.string()).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of string annotations' });
        return z.NEVER;
      }
    })
    .optional(),
  ORVANTA_K8S_SERVICE_TYPE: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
  ORVANTA_K8S_STORAGE_CLASS: z.string().min(1).optional(),
  /** How workers scale on queue depth: an HPA on an External metric, a KEDA ScaledObject, or not at all. */
  ORVANTA_K8S_AUTOSCALING: z.enum(['hpa', 'keda', 'none']).default('hpa'),
  /** The chart directory (infra/helm/orvanta-dataplane); default: found above the working directory. */
  ORVANTA_K8S_CHART: z.string().min(1).optional(),
  ORVANTA_K8S_READY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(600),

  /** The terraform binary: a command on PATH or an absolute path. */
  ORVANTA_TERRAFORM_BIN: z.string().min(1).default('terraform'),
  /** The module (infra/terraform/dedicated-region); default: found above the working directory. */
  ORVANTA_TERRAFORM_MODULE: z.string().min(1).optional(),
  /** One working directory per region is created under this directory. */
  ORVANTA_TERRAFORM_WORKDIR: z.string().min(1).optional(),
  /** Backend type for the state, e.g. s3; absent: local state in the working directory (trials only). */
  ORVANTA_TERRAFORM_BACKEND: z.enum(['s3', 'gcs', 'azurerm', 'remote', 'http', 'local']).optional(),
  /** JSON object of backend settings; `key` (or `prefix`) is set per region. */
  ORVANTA_TERRAFORM_BACKEND_CONFIG: z
    .string()
    .transform((s, ctx) => {
      try {
        return z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of backend settings' });
        return z.NEVER;
      }
    })
    .optional(),
  /** The EKS cluster the module installs the data-plane chart into. */
  ORVANTA_TERRAFORM_EKS_CLUSTER: z.string().min(1).optional(),
  /** Public URL template, with `{id}`, for the data planes the module creates (optional: the load balancer's name otherwise). */
  ORVANTA_TERRAFORM_PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^/]*\{id\}/, 'must be an http(s) URL whose host contains {id}')
    .optional(),
});

export interface KubernetesDriverConfig {
  kubeconfigPath: string;
  /** Absolute path of infra/helm/orvanta-dataplane (the renderer reads the exporter script from it). */
  chartPath?: string;
  context?: string;
  publicUrlTemplate?: string;
  ingressClassName?: string;
  ingressAnnotations: Record<string, string>;
  serviceType: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  storageClass?: string;
  autoscaling: 'hpa' | 'keda' | 'none';
  readyTimeoutMs: number;
  /** Delay between readiness polls (tests shorten it). */
  pollIntervalMs: number;
}

export interface TerraformDriverConfig {
  binary: string;
  /** Absolute path of infra/terraform/dedicated-region, or undefined when it could not be found. */
  modulePath?: string;
  workRoot: string;
  backend?: { type: string; config: Record<string, string | number | boolean> };
  eksClusterName?: string;
  publicUrlTemplate?: string;
}

export interface ProvisionerConfig {
  kubernetes: KubernetesDriverConfig;
  terraform: TerraformDriverConfig;
}

/** Walks up from `from` to the first directory holding `relative/marker`; returns that `relative` directory. */
export function findUp(from: string, relative: string, marker: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (existsSync(path.join(candidate, marker))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Parses the provisioner variables, or throws one line naming each bad one. */
export function parseProvisionerConfig(env: Record<string, string | undefined>, cwd = process.cwd()): ProvisionerConfig {
  const result = provisionerEnvSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid provisioner configuration: ${problems}`);
  }
  const e = result.data;
  return {
    kubernetes: {
      kubeconfigPath: e.ORVANTA_K8S_KUBECONFIG ?? e.KUBECONFIG?.split(path.delimiter)[0] ?? path.join(os.homedir(), '.kube', 'config'),
      chartPath: e.ORVANTA_K8S_CHART ? path.resolve(cwd, e.ORVANTA_K8S_CHART) : findUp(cwd, 'infra/helm/orvanta-dataplane', 'Chart.yaml'),
      context: e.ORVANTA_K8S_CONTEXT,
      publicUrlTemplate: e.ORVANTA_K8S_PUBLIC_URL,
      ingressClassName: e.ORVANTA_K8S_INGRESS_CLASS,
      ingressAnnotations: e.ORVANTA_K8S_INGRESS_ANNOTATIONS ?? {},
      serviceType: e.ORVANTA_K8S_SERVICE_TYPE,
      storageClass: e.ORVANTA_K8S_STORAGE_CLASS,
      autoscaling: e.ORVANTA_K8S_AUTOSCALING,
      readyTimeoutMs: e.ORVANTA_K8S_READY_TIMEOUT_SECONDS * 1000,
      pollIntervalMs: 2000,
    },
    terraform: {
      binary: e.ORVANTA_TERRAFORM_BIN,
      modulePath: e.ORVANTA_TERRAFORM_MODULE ? path.resolve(cwd, e.ORVANTA_TERRAFORM_MODULE) : findUp(cwd, 'infra/terraform/dedicated-region', 'main.tf'),
      workRoot: path.resolve(cwd, e.ORVANTA_TERRAFORM_WORKDIR ?? '.orvanta/terraform'),
      backend: e.ORVANTA_TERRAFORM_BACKEND ? { type: e.ORVANTA_TERRAFORM_BACKEND, config: e.ORVANTA_TERRAFORM_BACKEND_CONFIG ?? {} } : undefined,
      eksClusterName: e.ORVANTA_TERRAFORM_EKS_CLUSTER,
      publicUrlTemplate: e.ORVANTA_TERRAFORM_PUBLIC_URL,
    },
  };
}

/** `{id}` in a URL template, with the id made DNS-safe. */
export function fillUrlTemplate(template: string, id: string): string {
  return template.replaceAll('{id}', dnsLabel(id));
}

/** A DNS-1123 label from an id such as `dr_01ABC`: lower case, `_` → `-`, at most 63 characters. */
export function dnsLabel(id: string): string {
  const label = id
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  if (!label) throw new Error(`"${id}" cannot be turned into a DNS name`);
  return label;
}
