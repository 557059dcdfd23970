import { Alert } from './alert';
import type { RunDataProblem } from './run-data';
import type { Run } from './types';

/** Says plainly why payloads are missing: they live on the data plane, not here. */
export function DataPlaneNotice({ problem, run }: { problem: RunDataProblem; run: Run }) {
  return (
    <Alert kind="warning" testId="data-plane-notice">
      {problem.kind === 'unreachable' && (
        <>
          The data plane holding this run&apos;s data (region {run.region}) is not reachable from your browser. Its inputs, outputs and logs stay there;
          status and timings below come from the control plane. Check that your network can reach data plane <span className="mono">{run.dataPlaneId}</span>.
        </>
      )}
      {problem.kind === 'no-link' && (
        <>
          The data plane holding this run&apos;s data (region {run.region}) publishes no address your browser can use, so its inputs, outputs and logs
          cannot be shown here.
        </>
      )}
      {problem.kind === 'refused' && (
        <>
          The data plane holding this run&apos;s data (region {run.region}) did not return it: {problem.detail}
        </>
      )}
    </Alert>
  );
}
