'use client';

import { useEffect, useState } from 'react';
import { Alert } from '../alert';
import { api, errorMessage } from '../api';
import type { Workflow } from '../types';
import { sourceFromDocument } from './document-model';
import { WorkflowEditor } from './workflow-editor';

/**
 * Opens the latest version of a workflow in the editor. The API keeps the validated
 * document (JSON), not the text it was written in, so it opens as YAML in the language's
 * key order.
 */
export function WorkflowEditorLoader({ workflowId }: { workflowId: string }) {
  const [workflow, setWorkflow] = useState<Workflow | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    api<Workflow>(`/api/v1/workflows/${encodeURIComponent(workflowId)}`, { signal: controller.signal })
      .then(setWorkflow)
      .catch((err) => !controller.signal.aborted && setError(errorMessage(err)));
    return () => controller.abort();
  }, [workflowId]);

  if (error) return <Alert>{error}</Alert>;
  if (!workflow) return <p className="muted">Loading workflow…</p>;
  return <WorkflowEditor workflowId={workflow.id} initialText={sourceFromDocument(workflow.document, 'yaml')} savedVersion={workflow.version} />;
}
