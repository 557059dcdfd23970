import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ControlPlaneConfig } from '../../config.ts';
import { createLocalDriver, localDriverProblem, type LocalDriver } from './local.ts';
import type { ProvisionerDriver } from './types.ts';

/**
 * The provisioner registry: which driver provisions dedicated regions (DEDICATED_PROVISIONER,
 * default `local`), and each driver built once, on first use. The kubernetes and terraform
 * drivers are imported only when chosen (or when a region made by them is worked on), so a
 * control plane that does not use them never loads them or reads their settings.
 */
export type DriverName = ProvisionerDriver['name'];
export const DRIVER_NAMES: readonly DriverName[] = ['local', 'kubernetes', 'terraform'];

export interface Provisioners {
  /** The driver new dedicated regions use. */
  readonly defaultDriver: DriverName;
  get(name: DriverName): Promise<ProvisionerDriver>;
  /** Why the default driver cannot provision in this configuration (shown by the console), or undefined. */
  problem(): string | undefined;
  /** The local driver, when it has been built (for the start-up reconcile and shutdown). */
  readonly local: LocalDriver | undefined;
  /** Stops what drivers run in this process (the local driver's data planes). */
  stop(): Promise<void>;
}

/** The repository root: the nearest directory above `from` holding services/dataplane/src/main.ts. */
export function repositoryRoot(from = process.cwd()): string {
  // turbopackIgnore: a run-time lookup, not a file the console's build should trace.
  for (let dir = path.resolve(/*turbopackIgnore: true*/ from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(/*turbopackIgnore: true*/ dir, 'services/dataplane/src/main.ts'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(/*turbopackIgnore: true*/ from);
  }
}

export function createProvisioners(
  config: ControlPlaneConfig,
  options: { env?: Record<string, string | undefined>; cwd?: string; localEnv?: Record<string, string>; readyTimeoutMs?: number; overrides?: Partial<Record<DriverName, ProvisionerDriver>> } = {},
): Provisioners {
  const env = options.env ?? {};
  const cwd = options.cwd ?? process.cwd();
  const built = new Map<DriverName, Promise<ProvisionerDriver>>();
  let local: LocalDriver | undefined;

  const localConfig = () => {
    const root = repositoryRoot(cwd);
    return {
      databaseUrl: config.LOCAL_PROVISIONER_DATABASE_URL,
      redisUrl: config.LOCAL_PROVISIONER_REDIS_URL,
      redisPrefixBase: config.LOCAL_PROVISIONER_REDIS_PREFIX,
      dir: path.resolve(cwd, config.LOCAL_PROVISIONER_DIR ?? path.join(root, '.orvanta/dedicated')),
      root,
      host: config.LOCAL_PROVISIONER_HOST,
      readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
      env: options.localEnv,
    };
  };

  async function build(name: DriverName): Promise<ProvisionerDriver> {
    const override = options.overrides?.[name];
    if (override) return override;
    switch (name) {
      case 'local':
        local = createLocalDriver(localConfig());
        return local;
      case 'kubernetes': {
        const [{ createKubernetesDriver }, { parseProvisionerConfig }] = await Promise.all([import('./kubernetes.ts'), import('./config.ts')]);
        return createKubernetesDriver(parseProvisionerConfig(env, cwd).kubernetes);
      }
      case 'terraform': {
        const [{ createTerraformDriver }, { parseProvisionerConfig }] = await Promise.all([import('./terraform.ts'), import('./config.ts')]);
        return createTerraformDriver(parseProvisionerConfig(env, cwd).terraform);
      }
    }
  }

  return {
    defaultDriver: config.DEDICATED_PROVISIONER,
    get(name) {
      if (!built.has(name)) built.set(name, build(name));
      return built.get(name)!;
    },
    problem: () => (config.DEDICATED_PROVISIONER === 'local' && !options.overrides?.local ? localDriverProblem(localConfig()) : undefined),
    get local() {
      return local;
    },
    async stop() {
      await local?.stopAll();
    },
  };
}
