import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dnsLabel, fillUrlTemplate, type TerraformDriverConfig } from './config.ts';
import { SIZES, type DedicatedRegionSpec, type ProvisionerDriver, type ProvisionResult, type StepReporter } from './types.ts';

/**
 * The `terraform` driver: one Terraform working directory per dedicated region, whose root
 * module calls infra/terraform/dedicated-region (RDS Postgres, ElastiCache Redis and the
 * data-plane Helm chart on an EKS cluster). It runs `terraform init`, `apply` and
 * `output -json` through an injectable runner; `destroy` decommissions.
 *
 * The enrollment token never touches a command line, a file or a report: it reaches
 * Terraform as TF_VAR_enrollment_token in the child's environment only. (Terraform keeps it
 * in its state, in a Kubernetes Secret: use an encrypted remote backend.)
 */

export interface CommandSpec {
  command: string;
  args: string[];
  cwd: string;
  /** The complete environment of the child. */
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}
export type CommandRunner = (cmd: CommandSpec) => Promise<CommandResult>;

export class CommandNotFoundError extends Error {
  constructor(readonly command: string) {
    super(`${command} was not found`);
    this.name = 'CommandNotFoundError';
  }
}

/** Runs a command with child_process.spawn (no shell), collecting its output. SIGINT on abort lets terraform release its state lock. */
export const spawnRunner: CommandRunner = ({ command, args, cwd, env, signal }) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env as NodeJS.ProcessEnv, signal, killSignal: 'SIGINT', stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new CommandNotFoundError(command) : err));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });

export interface TerraformDriverDeps {
  run?: CommandRunner;
  /** Environment handed to terraform (cloud credentials: AWS_*, backend credentials). Default: the control plane's. */
  env?: Record<string, string | undefined>;
}

const VARIABLES = ['region_id', 'tenant_id', 'location', 'size', 'data_plane_id', 'control_plane_url', 'image', 'eks_cluster_name', 'public_url', 'workers', 'worker_concurrency', 'cpu', 'memory', 'database_storage_gb'] as const;
const OUTPUTS = ['public_url', 'load_balancer_hostname', 'namespace', 'helm_release', 'db_instance_id', 'db_endpoint', 'redis_replication_group_id', 'security_group_id'] as const;

export const workdirFor = (config: Pick<TerraformDriverConfig, 'workRoot'>, regionId: string) => path.join(config.workRoot, dnsLabel(regionId));

/** The state key of one region in a shared remote backend. */
const stateKey = (regionId: string) => `orvanta/dedicated-regions/${dnsLabel(regionId)}.tfstate`;

/** The root module (main.tf.json) of one region's working directory. */
export function renderRootModule(config: TerraformDriverConfig, workdir: string, regionId: string): Record<string, unknown> {
  if (!config.modulePath) throw new Error('The Terraform module infra/terraform/dedicated-region was not found: set ORVANTA_TERRAFORM_MODULE to its directory.');
  let source = path.relative(workdir, config.modulePath).split(path.sep).join('/');
  if (!source.startsWith('../')) source = `./${source}`;
  const backend = config.backend
    ? config.backend.type === 'local'
      ? { local: { path: 'terraform.tfstate', ...config.backend.config } }
      : { [config.backend.type]: { ...config.backend.config, ...(config.backend.type === 'gcs' ? { prefix: stateKey(regionId).replace(/\.tfstate$/, '') } : { key: stateKey(regionId) }) } }
    : undefined;
  const cluster = {
    host: '${data.aws_eks_cluster.this.endpoint}',
    cluster_ca_certificate: '${base64decode(data.aws_eks_cluster.this.certificate_authority[0].data)}',
    token: '${data.aws_eks_cluster_auth.this.token}',
  };
  const variable: Record<string, object> = {};
  for (const name of VARIABLES) variable[name] = ['public_url'].includes(name) ? { type: 'string', default: null } : {};
  variable.enrollment_token = { type: 'string', sensitive: true, default: '' };
  const module: Record<string, string> = { source };
  for (const name of [...VARIABLES, 'enrollment_token']) module[name] = `\${var.${name}}`;
  return {
    '//': 'Written by the Orvanta control plane (terraform provisioner driver); rewritten on every run.',
    terraform: { required_version: '>= 1.5', ...(backend ? { backend } : {}) },
    variable,
    provider: {
      aws: [{ region: '${var.location}' }],
      kubernetes: [cluster],
      helm: [{ kubernetes: [cluster] }],
    },
    data: {
      aws_eks_cluster: { this: { name: '${var.eks_cluster_name}' } },
      aws_eks_cluster_auth: { this: { name: '${var.eks_cluster_name}' } },
    },
    module: { dedicated_region: module },
    output: Object.fromEntries(OUTPUTS.map((name) => [name, { value: `\${module.dedicated_region.${name}}` }])),
  };
}

/** terraform.tfvars.json for a region: everything but the enrollment token, sizes from SIZES. */
export function renderTfvars(config: TerraformDriverConfig, spec: Omit<DedicatedRegionSpec, 'enrollmentToken'>): Record<string, string | number | null> {
  if (!config.eksClusterName) throw new Error('No EKS cluster for the terraform driver: set ORVANTA_TERRAFORM_EKS_CLUSTER.');
  const size = SIZES[spec.size];
  return {
    region_id: spec.id,
    tenant_id: spec.tenantId,
    location: spec.location,
    size: spec.size,
    data_plane_id: spec.dataPlaneId,
    control_plane_url: spec.controlPlaneUrl,
    image: spec.image,
    eks_cluster_name: config.eksClusterName,
    public_url: config.publicUrlTemplate ? fillUrlTemplate(config.publicUrlTemplate, spec.id) : null,
    workers: size.workers,
    worker_concurrency: size.workerConcurrency,
    cpu: size.cpu,
    memory: size.memory,
    database_storage_gb: size.databaseStorageGb,
  };
}

type TerraformOutputs = Record<string, { value: unknown; sensitive?: boolean }>;

/** Turns `terraform output -json` into a ProvisionResult (sensitive outputs are dropped). */
export function parseOutputs(json: string, workdir: string): ProvisionResult {
  let outputs: TerraformOutputs;
  try {
    outputs = JSON.parse(json) as TerraformOutputs;
  } catch {
    throw new Error('terraform output -json did not print JSON');
  }
  const resources: Record<string, string> = { workdir };
  for (const [name, output] of Object.entries(outputs)) {
    if (output.sensitive || output.value === null || output.value === undefined || output.value === '') continue;
    if (name === 'public_url') continue;
    resources[name] = typeof output.value === 'string' ? output.value : JSON.stringify(output.value);
  }
  const publicUrl = typeof outputs.public_url?.value === 'string' && outputs.public_url.value ? outputs.public_url.value : undefined;
  return { ...(publicUrl ? { publicUrl } : {}), resources };
}

export function createTerraformDriver(config: TerraformDriverConfig, deps: TerraformDriverDeps = {}): ProvisionerDriver {
  const run = deps.run ?? spawnRunner;
  const baseEnv = deps.env ?? process.env;

  async function prepare(spec: Omit<DedicatedRegionSpec, 'enrollmentToken'>): Promise<string> {
    const workdir = workdirFor(config, spec.id);
    const root = renderRootModule(config, workdir, spec.id);
    const tfvars = renderTfvars(config, spec);
    await mkdir(workdir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(workdir, 'main.tf.json'), `${JSON.stringify(root, null, 2)}\n`, { mode: 0o600 });
    const varsFile = path.join(workdir, 'terraform.tfvars.json');
    await writeFile(varsFile, `${JSON.stringify(tfvars, null, 2)}\n`, { mode: 0o600 });
    await chmod(varsFile, 0o600); // writeFile's mode applies only when it creates the file
    return workdir;
  }

  async function terraform(step: string, args: string[], workdir: string, signal: AbortSignal, secret?: string): Promise<CommandResult> {
    const env: Record<string, string | undefined> = { ...baseEnv, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
    delete env.TF_VAR_enrollment_token;
    if (secret !== undefined) env.TF_VAR_enrollment_token = secret;
    let result: CommandResult;
    try {
      result = await run({ command: config.binary, args, cwd: workdir, env, signal });
    } catch (err) {
      if (err instanceof CommandNotFoundError) {
        throw new Error(`terraform was not found${config.binary.includes('/') ? ` at ${config.binary}` : ' on PATH'}: install it or set ORVANTA_TERRAFORM_BIN to its path.`, { cause: err });
      }
      throw err;
    }
    if (result.code !== 0) {
      const redact = (s: string) => (secret ? s.split(secret).join('[redacted]') : s);
      const tail = redact(result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
      throw new Error(`terraform ${step} failed (exit ${result.code}) in ${workdir}:\n${tail}`);
    }
    return result;
  }

  return {
    name: 'terraform',

    async provision(spec: DedicatedRegionSpec, report: StepReporter, signal: AbortSignal): Promise<ProvisionResult> {
      const workdir = await prepare(spec);
      await report('terraform.init', `working directory ${workdir}`);
      await terraform('init', ['init', '-input=false', '-no-color'], workdir, signal);
      await report('terraform.apply', `applying infra/terraform/dedicated-region for ${spec.id} (${spec.size}, ${spec.location})`);
      await terraform('apply', ['apply', '-auto-approve', '-input=false', '-no-color'], workdir, signal, spec.enrollmentToken);
      const { stdout } = await terraform('output', ['output', '-json', '-no-color'], workdir, signal);
      const result = parseOutputs(stdout, workdir);
      await report('terraform.applied', result.publicUrl ? `data plane ingress at ${result.publicUrl}` : 'applied');
      return result;
    },

    async decommission(spec, resources, report, signal): Promise<void> {
      const workdir = await prepare(spec);
      if (resources.workdir && path.resolve(resources.workdir) !== workdir) await report('terraform.workdir', `using ${workdir} (was ${resources.workdir})`);
      await terraform('init', ['init', '-input=false', '-no-color'], workdir, signal);
      await report('terraform.destroy', `destroying the resources of ${spec.id}`);
      // The token variable defaults to empty: destroy never needs it.
      await terraform('destroy', ['destroy', '-auto-approve', '-input=false', '-no-color'], workdir, signal);
      await report('terraform.destroyed', `${spec.id} destroyed`);
    },
  };
}
