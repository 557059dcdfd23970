import type { Deployment } from './types';

/** Environment name → its live deployment. */
export function liveDeployments(deployments: readonly Deployment[] | null): ReadonlyMap<string, Deployment> {
  return new Map((deployments ?? []).filter((d) => d.live).map((d) => [d.environment, d]));
}

/** `deployments` (newest first) with the one just made on top and earlier ones in its environment no longer live. */
export function withDeployment(deployments: readonly Deployment[] | null, deployed: Deployment): Deployment[] {
  return [deployed, ...(deployments ?? []).filter((d) => d.id !== deployed.id).map((d) => (d.environment === deployed.environment && d.live ? { ...d, live: false } : d))];
}

/** Ids of the deployments (newest first) that rolled their environment back: a lower version than the deploy before it there. */
export function rollbackIds(deployments: readonly Deployment[]): ReadonlySet<string> {
  const ids = new Set<string>();
  deployments.forEach((d, i) => {
    const previous = deployments.slice(i + 1).find((p) => p.environment === d.environment);
    if (previous && previous.version > d.version) ids.add(d.id);
  });
  return ids;
}
