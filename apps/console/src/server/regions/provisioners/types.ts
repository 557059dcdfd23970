/**
 * Provisioners create and remove the infrastructure of a dedicated region: one data plane
 * (its database, its Redis key space and its processes) for one tenant. The control plane's
 * state machine (regions/dedicated.ts) drives them step by step and records each step; the
 * data plane they start enrolls itself with the one-time token it is given, and the control
 * plane sees it arrive through the gateway, not through the driver.
 *
 * Drivers must be idempotent: every call may be repeated after a crash or a retry, and must
 * then find and reuse what an earlier call created instead of failing or duplicating it.
 */

export type DedicatedSize = 'small' | 'medium' | 'large';

export interface DedicatedRegionSpec {
  /** The dedicated region's id (e.g. `dr_…`); drivers name their resources after it. */
  id: string;
  tenantId: string;
  /** Where it runs: a driver-specific location (a cloud region such as `eu-west-1`, a cluster namespace, `local`). */
  location: string;
  size: DedicatedSize;
  /** The data-plane id the control plane created for it; the enrolled agent takes this identity. */
  dataPlaneId: string;
  /** The control plane's public URL the agent connects out to. */
  controlPlaneUrl: string;
  /** The one-time enrollment token (secret: never logged, never in a step's detail). */
  enrollmentToken: string;
  /** The data-plane container image (`infra/docker/dataplane.Dockerfile`), for drivers that run containers. */
  image: string;
}

/** What a driver reports as it goes; shown to the tenant admin and audited. Never secrets. */
export type StepReporter = (step: string, detail?: string) => Promise<void>;

export interface ProvisionResult {
  /** Where browsers reach the new data plane's ingress, when the driver knows it. */
  publicUrl?: string;
  /** Driver-specific handles (database name, namespace, state path…), kept to decommission later. */
  resources: Record<string, string>;
}

export interface ProvisionerDriver {
  readonly name: 'local' | 'kubernetes' | 'terraform';
  /** Creates or finds everything and starts the data plane with the enrollment token. */
  provision(spec: DedicatedRegionSpec, report: StepReporter, signal: AbortSignal): Promise<ProvisionResult>;
  /** Removes what `provision` created (after the control plane has drained the data plane). */
  decommission(spec: Omit<DedicatedRegionSpec, 'enrollmentToken'>, resources: Record<string, string>, report: StepReporter, signal: AbortSignal): Promise<void>;
}

/** Resource sizing per size, shared by every driver so a "medium" means the same everywhere. */
export const SIZES: Record<DedicatedSize, { workers: number; workerConcurrency: number; cpu: string; memory: string; databaseStorageGb: number }> = {
  small: { workers: 1, workerConcurrency: 8, cpu: '1', memory: '2Gi', databaseStorageGb: 20 },
  medium: { workers: 2, workerConcurrency: 16, cpu: '2', memory: '4Gi', databaseStorageGb: 100 },
  large: { workers: 4, workerConcurrency: 32, cpu: '4', memory: '8Gi', databaseStorageGb: 500 },
};
