import type { RunData } from './types';

/** Why a run's payloads could not be shown. */
export type RunDataProblem = { kind: 'unreachable' } | { kind: 'no-link' } | { kind: 'refused'; detail: string };

/**
 * Reads a run's payloads straight from its data plane with the signed link the control
 * plane issued. A network or CORS failure means the browser cannot reach that data plane.
 */
export async function fetchRunData(link: string, signal: AbortSignal): Promise<{ data: RunData } | { problem: RunDataProblem }> {
  let response: Response;
  try {
    response = await fetch(link, { cache: 'no-store', credentials: 'omit', signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) });
  } catch (err) {
    if (signal.aborted) throw err;
    return { problem: { kind: 'unreachable' } };
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { detail?: unknown } | null;
    const detail = typeof body?.detail === 'string' ? body.detail : `It answered ${response.status}.`;
    return { problem: { kind: 'refused', detail } };
  }
  try {
    return { data: (await response.json()) as RunData };
  } catch {
    return { problem: { kind: 'refused', detail: 'Its answer was not valid JSON.' } };
  }
}

/**
 * The run's live-logs stream on its data plane (`runLogsPath` of @orvanta/protocol): the signed
 * data link on the `/logs` path, same token. Null for a link that is not a data link.
 */
export function runLogsLinkOf(dataLink: string): string | null {
  let url: URL;
  try {
    url = new URL(dataLink);
  } catch {
    return null;
  }
  if (!url.pathname.endsWith('/data')) return null;
  url.pathname = `${url.pathname.slice(0, -'/data'.length)}/logs`;
  return url.toString();
}
