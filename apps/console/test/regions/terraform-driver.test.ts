import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProvisionerConfig, type TerraformDriverConfig } from '../../src/server/regions/provisioners/config.ts';
import { CommandNotFoundError, createTerraformDriver, spawnRunner, type CommandSpec } from '../../src/server/regions/provisioners/terraform.ts';
import { SIZES, type DedicatedRegionSpec } from '../../src/server/regions/provisioners/types.ts';

const modulePath = path.resolve(import.meta.dirname, '../../../../infra/terraform/dedicated-region');
const TOKEN = 'enroll.TF-secret-token-0a1b2c';
const spec: DedicatedRegionSpec = {
  id: 'dr_01TF',
  tenantId: 'ten_7',
  location: 'eu-west-1',
  size: 'large',
  dataPlaneId: 'dp_01TF',
  controlPlaneUrl: 'https://app.orvanta.example',
  enrollmentToken: TOKEN,
  image: 'ghcr.io/orvanta/dataplane:0.1.0',
};

function setup(overrides: Partial<TerraformDriverConfig> = {}, outputs: Record<string, unknown> = {}) {
  const workRoot = mkdtempSync(path.join(os.tmpdir(), 'tf-driver-'));
  const config: TerraformDriverConfig = {
    binary: '/opt/terraform/bin/terraform',
    modulePath,
    workRoot,
    backend: { type: 's3', config: { bucket: 'orvanta-state', region: 'eu-west-1', encrypt: true } },
    eksClusterName: 'orvanta-eu',
    publicUrlTemplate: 'https://{id}.dp.orvanta.example',
    ...overrides,
  };
  const calls: CommandSpec[] = [];
  const files: { tfvars: string; mode: number; root: string }[] = [];
  const driver = createTerraformDriver(config, {
    env: { PATH: '/usr/bin', AWS_PROFILE: 'orvanta', TF_VAR_enrollment_token: 'stale-from-parent' },
    run: async (cmd) => {
      calls.push(cmd);
      files.push({ tfvars: readFileSync(path.join(cmd.cwd, 'terraform.tfvars.json'), 'utf8'), mode: statSync(path.join(cmd.cwd, 'terraform.tfvars.json')).mode & 0o777, root: readFileSync(path.join(cmd.cwd, 'main.tf.json'), 'utf8') });
      if (cmd.args[0] === 'output') {
        return {
          code: 0,
          stderr: '',
          stdout: JSON.stringify({
            public_url: { value: 'https://dr-01tf.dp.orvanta.example', type: 'string', sensitive: false },
            namespace: { value: 'orvanta-dr-01tf', type: 'string', sensitive: false },
            db_instance_id: { value: 'orvanta-dr-01tf', type: 'string', sensitive: false },
            redis_replication_group_id: { value: 'orv-0123456789abcdef', type: 'string', sensitive: false },
            load_balancer_hostname: { value: '', type: 'string', sensitive: false },
            db_password: { value: 'hidden', type: 'string', sensitive: true },
            ...outputs,
          }),
        };
      }
      return { code: 0, stdout: `${cmd.args[0]} ok`, stderr: '' };
    },
  });
  return { driver, calls, files, workRoot, config };
}

describe('terraform driver', () => {
  it('writes a working directory, runs init, apply and output, and parses the outputs', async () => {
    const { driver, calls, files, workRoot } = setup();
    const steps: [string, string | undefined][] = [];
    const result = await driver.provision(spec, async (s, d) => void steps.push([s, d]), new AbortController().signal);

    const workdir = path.join(workRoot, 'dr-01tf');
    expect(calls.map((c) => [c.command, ...c.args])).toEqual([
      ['/opt/terraform/bin/terraform', 'init', '-input=false', '-no-color'],
      ['/opt/terraform/bin/terraform', 'apply', '-auto-approve', '-input=false', '-no-color'],
      ['/opt/terraform/bin/terraform', 'output', '-json', '-no-color'],
    ]);
    for (const c of calls) expect(c.cwd).toBe(workdir);
    expect(result).toEqual({
      publicUrl: 'https://dr-01tf.dp.orvanta.example',
      resources: { workdir, namespace: 'orvanta-dr-01tf', db_instance_id: 'orvanta-dr-01tf', redis_replication_group_id: 'orv-0123456789abcdef' },
    });

    // The token reaches terraform only as TF_VAR_enrollment_token, and only for apply.
    expect(calls[1]!.env.TF_VAR_enrollment_token).toBe(TOKEN);
    expect(calls[0]!.env.TF_VAR_enrollment_token).toBeUndefined();
    expect(calls[2]!.env.TF_VAR_enrollment_token).toBeUndefined();
    expect(calls[1]!.env).toMatchObject({ AWS_PROFILE: 'orvanta', TF_IN_AUTOMATION: '1', TF_INPUT: '0' });
    for (const c of calls) expect(c.args.join(' ')).not.toContain(TOKEN);
    expect(JSON.stringify(steps)).not.toContain(TOKEN);

    // tfvars: the spec and SIZES, no token, mode 0600.
    const { tfvars, mode, root } = files[1]!;
    expect(mode).toBe(0o600);
    expect(tfvars).not.toContain(TOKEN);
    expect(root).not.toContain(TOKEN);
    expect(JSON.parse(tfvars)).toEqual({
      region_id: 'dr_01TF',
      tenant_id: 'ten_7',
      location: 'eu-west-1',
      size: 'large',
      data_plane_id: 'dp_01TF',
      control_plane_url: 'https://app.orvanta.example',
      image: 'ghcr.io/orvanta/dataplane:0.1.0',
      eks_cluster_name: 'orvanta-eu',
      public_url: 'https://dr-01tf.dp.orvanta.example',
      workers: SIZES.large.workers,
      worker_concurrency: SIZES.large.workerConcurrency,
      cpu: SIZES.large.cpu,
      memory: SIZES.large.memory,
      database_storage_gb: SIZES.large.databaseStorageGb,
    });

    // The root module: the module by relative path, an s3 backend with a per-region key, providers from EKS.
    const rootModule = JSON.parse(root) as { terraform: { backend: Record<string, Record<string, unknown>> }; module: { dedicated_region: Record<string, string> }; variable: Record<string, Record<string, unknown>>; provider: Record<string, unknown> };
    expect(path.resolve(workdir, rootModule.module.dedicated_region.source!)).toBe(modulePath);
    expect(rootModule.module.dedicated_region.source).toMatch(/^\.\.?\//);
    expect(rootModule.terraform.backend).toEqual({ s3: { bucket: 'orvanta-state', region: 'eu-west-1', encrypt: true, key: 'orvanta/dedicated-regions/dr-01tf.tfstate' } });
    expect(rootModule.variable.enrollment_token).toEqual({ type: 'string', sensitive: true, default: '' });
    expect(rootModule.module.dedicated_region.enrollment_token).toBe('${var.enrollment_token}');
    expect(Object.keys(rootModule.provider)).toEqual(['aws', 'kubernetes', 'helm']);

    // Every variable the root passes exists in the module.
    const moduleVariables = [...readFileSync(path.join(modulePath, 'variables.tf'), 'utf8').matchAll(/^variable "([a-z_]+)"/gm)].map((m) => m[1]);
    for (const name of Object.keys(rootModule.module.dedicated_region).filter((k) => k !== 'source')) expect(moduleVariables).toContain(name);
    // …and every output it reads.
    const moduleOutputs = [...readFileSync(path.join(modulePath, 'outputs.tf'), 'utf8').matchAll(/^output "([a-z_]+)"/gm)].map((m) => m[1]);
    for (const value of Object.values((JSON.parse(root) as { output: Record<string, { value: string }> }).output)) expect(moduleOutputs).toContain(/module\.dedicated_region\.([a-z_]+)/.exec(value.value)![1]);
  });

  it('is idempotent: a second provision rewrites the same files and runs the same commands', async () => {
    const { driver, calls, files } = setup();
    await driver.provision(spec, async () => undefined, new AbortController().signal);
    await driver.provision(spec, async () => undefined, new AbortController().signal);
    expect(calls.slice(3).map((c) => c.args)).toEqual(calls.slice(0, 3).map((c) => c.args));
    expect(files[4]).toEqual(files[1]);
  });

  it('decommission runs init then destroy, without the token', async () => {
    const { driver, calls, workRoot } = setup();
    const { enrollmentToken: _t, ...rest } = spec;
    await driver.decommission(rest, { workdir: path.join(workRoot, 'dr-01tf') }, async () => undefined, new AbortController().signal);
    expect(calls.map((c) => c.args)).toEqual([
      ['init', '-input=false', '-no-color'],
      ['destroy', '-auto-approve', '-input=false', '-no-color'],
    ]);
    for (const c of calls) expect(c.env.TF_VAR_enrollment_token).toBeUndefined();
  });

  it('says how to fix a missing terraform binary', async () => {
    const workRoot = mkdtempSync(path.join(os.tmpdir(), 'tf-driver-'));
    const onPath = createTerraformDriver({ binary: 'terraform', modulePath, workRoot, eksClusterName: 'c' }, { run: async () => Promise.reject(new CommandNotFoundError('terraform')) });
    await expect(onPath.provision(spec, async () => undefined, new AbortController().signal)).rejects.toThrow('terraform was not found on PATH: install it or set ORVANTA_TERRAFORM_BIN to its path.');
    // The real spawn runner reports ENOENT the same way.
    await expect(spawnRunner({ command: 'orvanta-no-such-terraform', args: [], cwd: workRoot, env: { PATH: '/nonexistent' }, signal: new AbortController().signal })).rejects.toBeInstanceOf(CommandNotFoundError);
    const real = createTerraformDriver({ binary: path.join(workRoot, 'missing/terraform'), modulePath, workRoot, eksClusterName: 'c' }, { env: { PATH: '/nonexistent' } });
    await expect(real.provision(spec, async () => undefined, new AbortController().signal)).rejects.toThrow(`terraform was not found at ${path.join(workRoot, 'missing/terraform')}: install it or set ORVANTA_TERRAFORM_BIN to its path.`);
  });

  it('surfaces a failed step with the end of its output, with the token redacted', async () => {
    const workRoot = mkdtempSync(path.join(os.tmpdir(), 'tf-driver-'));
    const driver = createTerraformDriver(
      { binary: 'terraform', modulePath, workRoot, eksClusterName: 'c' },
      {
        env: {},
        run: async (cmd) => (cmd.args[0] === 'apply' ? { code: 1, stdout: '', stderr: `Error: creating RDS instance: InvalidParameterValue\n  with var.enrollment_token = "${TOKEN}"` } : { code: 0, stdout: '{}', stderr: '' }),
      },
    );
    const error = await driver.provision(spec, async () => undefined, new AbortController().signal).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^terraform apply failed \(exit 1\) in .*dr-01tf:\nError: creating RDS instance: InvalidParameterValue/);
    expect((error as Error).message).not.toContain(TOKEN);
    expect((error as Error).message).toContain('[redacted]');
  });

  it('asks for the EKS cluster and the module when they are not configured', async () => {
    const workRoot = mkdtempSync(path.join(os.tmpdir(), 'tf-driver-'));
    const run = async () => ({ code: 0, stdout: '{}', stderr: '' });
    await expect(createTerraformDriver({ binary: 'terraform', modulePath, workRoot }, { run }).provision(spec, async () => undefined, new AbortController().signal)).rejects.toThrow('set ORVANTA_TERRAFORM_EKS_CLUSTER');
    await expect(createTerraformDriver({ binary: 'terraform', workRoot, eksClusterName: 'c' }, { run }).provision(spec, async () => undefined, new AbortController().signal)).rejects.toThrow('set ORVANTA_TERRAFORM_MODULE');
  });
});

describe('provisioner config', () => {
  it('parses the environment, finding the chart and module above the working directory', () => {
    const cwd = path.resolve(import.meta.dirname, '../..');
    const config = parseProvisionerConfig({ ORVANTA_TERRAFORM_BACKEND: 's3', ORVANTA_TERRAFORM_BACKEND_CONFIG: '{"bucket":"b","region":"eu-west-1"}', ORVANTA_K8S_AUTOSCALING: 'keda', ORVANTA_K8S_INGRESS_ANNOTATIONS: '{"a":"b"}' }, cwd);
    expect(config.terraform).toMatchObject({ binary: 'terraform', modulePath, backend: { type: 's3', config: { bucket: 'b', region: 'eu-west-1' } } });
    expect(config.kubernetes).toMatchObject({ chartPath: path.resolve(modulePath, '../../helm/orvanta-dataplane'), autoscaling: 'keda', ingressAnnotations: { a: 'b' }, readyTimeoutMs: 600_000 });
  });

  it('names each bad variable in one line', () => {
    expect(() => parseProvisionerConfig({ ORVANTA_K8S_PUBLIC_URL: 'https://dp.example.com', ORVANTA_TERRAFORM_BACKEND_CONFIG: 'nope' })).toThrow(
      /^Invalid provisioner configuration: ORVANTA_K8S_PUBLIC_URL: must be an http\(s\) URL whose host contains \{id\}.*; ORVANTA_TERRAFORM_BACKEND_CONFIG: must be a JSON object of backend settings$/,
    );
  });
});
