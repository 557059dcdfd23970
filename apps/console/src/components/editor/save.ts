import { ApiError } from '../api';
import type { Problem, Workflow } from '../types';
import type { SourceFormat } from './document-model';

/**
 * Sends the source text as it is (YAML or JSON), so the line and column of each problem in
 * a 422 answer point into the text in the code view. `api()` sends JSON bodies only.
 * Without `workflowId` the workflow is created (version 1); with it a new version is saved.
 */
export async function saveWorkflowSource(text: string, format: SourceFormat, workflowId: string | null): Promise<Workflow> {
  const path = workflowId ? `/api/v1/workflows/${encodeURIComponent(workflowId)}` : '/api/v1/workflows';
  let response: Response;
  try {
    response = await fetch(path, {
      method: workflowId ? 'PUT' : 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'application/json', 'content-type': format === 'json' ? 'application/json' : 'application/yaml' },
      body: text,
    });
  } catch {
    throw new ApiError(0, 'The console could not be reached. Check your connection and try again.');
  }
  if (response.ok) return (await response.json()) as Workflow;
  const body = (await response.json().catch(() => null)) as Partial<Problem> | null;
  const detail = typeof body?.detail === 'string' ? body.detail : `The server answered ${response.status} ${response.statusText}.`;
  // A 401 keeps the editor open (a redirect would lose the unsaved text): the message says to sign in again.
  const message = response.status === 401 ? 'Your session has ended. Sign in again in another tab, then save.' : detail;
  throw new ApiError(response.status, message, body?.type ? (body as Problem) : undefined);
}
