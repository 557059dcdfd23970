'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { Alert } from './alert';
import { api, errorMessage } from './api';
import { liveDeployments, withDeployment } from './deployments';
import { DeploymentsSection } from './deployments-section';
import { formatDateTime } from './format';
import { JsonBlock } from './json-block';
import { StartRunForm } from './start-run-form';
import type { Deployment, Environment, Workflow } from './types';
import { useList } from './use-list';
import { useMemberEmails } from './use-member-emails';
import { WebhookSection } from './webhook-section';

/** A workflow's latest document, where its versions are deployed, and a form to run it. */
export function WorkflowView({
  workflowId,
  canRun = true,
  canDeploy = false,
  canDeployProtected = false,
  canReadMembers = false,
  canEdit = false,
}: {
  workflowId: string;
  canRun?: boolean;
  canDeploy?: boolean;
  canDeployProtected?: boolean;
  canReadMembers?: boolean;
  /** `workflows.write`: shows the Edit link. */
  canEdit?: boolean;
}) {
  const [workflow, setWorkflow] = useState<Workflow | null>(null);
  const [error, setError] = useState<string | null>(null);
  const environments = useList<Environment>('/api/v1/environments');
  const deployments = useList<Deployment>(`/api/v1/workflows/${encodeURIComponent(workflowId)}/deployments`);
  const emails = useMemberEmails(canReadMembers);
  const editable = canEdit;

  useEffect(() => {
    const controller = new AbortController();
    api<Workflow>(`/api/v1/workflows/${encodeURIComponent(workflowId)}`, { signal: controller.signal })
      .then(setWorkflow)
      .catch((err) => !controller.signal.aborted && setError(errorMessage(err)));
    return () => controller.abort();
  }, [workflowId]);

  if (error) return <Alert>{error}</Alert>;
  if (!workflow) return <p className="muted">Loading workflow…</p>;
  const live = liveDeployments(deployments.items);
  return (
    <div className="stack">
      <div className="page-header">
        <div>
          <p className="breadcrumbs">
            <Link href="/workflows">Workflows</Link> / <span className="mono">{workflow.id}</span>
          </p>
          <h1>
            {workflow.name} <span className="muted version">v{workflow.version}</span>
          </h1>
          <p className="muted small">Updated {formatDateTime(workflow.updatedAt)}</p>
        </div>
        {editable && (
          <div className="page-actions">
            <Link href={`/workflows/${encodeURIComponent(workflow.id)}/edit`} className="button" data-testid="edit-workflow">
              Edit
            </Link>
          </div>
        )}
      </div>
      {canRun && (
        <section className="card" aria-labelledby="start-title">
          <h2 id="start-title">Start a run</h2>
          <StartRunForm workflowId={workflow.id} latestVersion={workflow.version} environments={environments.items} live={deployments.items ? live : null} />
        </section>
      )}
      {workflow.links.webhook && <WebhookSection url={workflow.links.webhook} />}
      <DeploymentsSection
        workflowId={workflow.id}
        latestVersion={workflow.version}
        environments={environments.items}
        deployments={deployments.items}
        live={live}
        error={environments.error ?? deployments.error}
        canDeploy={canDeploy}
        canDeployProtected={canDeployProtected}
        emails={emails}
        onDeployed={(d) => deployments.setItems((prev) => withDeployment(prev, d))}
      />
      <section className="card" aria-labelledby="document-title">
        <h2 id="document-title">Document</h2>
        <JsonBlock value={workflow.document} testId="workflow-document" label="Workflow document" />
      </section>
    </div>
  );
}
