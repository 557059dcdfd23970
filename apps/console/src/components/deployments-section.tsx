'use client';

import { Alert } from './alert';
import { DeployForm } from './deploy-form';
import { DeploymentHistory } from './deployment-history';
import { EnvironmentsLive } from './environments-live';
import type { Deployment, Environment } from './types';

/** Where each version of the workflow is live, a Deploy control (deployments.write) and the history of deploys. */
export function DeploymentsSection({
  workflowId,
  latestVersion,
  environments,
  deployments,
  live,
  error,
  canDeploy,
  canDeployProtected,
  emails,
  onDeployed,
}: {
  workflowId: string;
  latestVersion: number;
  environments: readonly Environment[] | null;
  deployments: readonly Deployment[] | null;
  live: ReadonlyMap<string, Deployment>;
  error: string | null;
  canDeploy: boolean;
  canDeployProtected: boolean;
  emails: ReadonlyMap<string, string>;
  onDeployed: (deployment: Deployment) => void;
}) {
  return (
    <section className="card stack" aria-labelledby="deployments-title" data-testid="deployments">
      <div>
        <h2 id="deployments-title">Deployments</h2>
        <p className="muted small">New runs in an environment take the version live there; runs in flight finish on theirs. Deploying an older version rolls back.</p>
      </div>
      {error && <Alert>{error}</Alert>}
      {(environments === null || deployments === null) && !error && <p className="muted">Loading deployments…</p>}
      {environments && deployments && (
        <>
          <EnvironmentsLive environments={environments} live={live} emails={emails} />
          {canDeploy && (
            <DeployForm
              workflowId={workflowId}
              latestVersion={latestVersion}
              environments={environments}
              live={live}
              canDeployProtected={canDeployProtected}
              onDeployed={onDeployed}
            />
          )}
          <h3>History</h3>
          <DeploymentHistory deployments={deployments} emails={emails} />
        </>
      )}
    </section>
  );
}
