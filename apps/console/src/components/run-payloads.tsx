import { ErrorDetails } from './error-details';
import { JsonBlock } from './json-block';
import type { Run, RunData } from './types';

/** The run's input, output and error as the data plane reports them. */
export function RunPayloads({ run, data }: { run: Run; data: RunData }) {
  const outputNote =
    run.status === 'failed' ? 'No output: the run failed.' : run.status === 'cancelled' ? 'No output: the run was cancelled.' : 'No output yet.';
  return (
    <>
      {data.error && (
        <section className="card card-error" aria-labelledby="run-error-title">
          <h2 id="run-error-title">Error{run.error?.nodeId ? ` in node ${run.error.nodeId}` : ''}</h2>
          <ErrorDetails error={data.error} testId="run-error" />
        </section>
      )}
      <div className="grid-2">
        <section className="card" aria-labelledby="run-input-title">
          <h2 id="run-input-title">Input</h2>
          <JsonBlock value={data.input} testId="run-input" label="Run input" />
        </section>
        <section className="card" aria-labelledby="run-output-title">
          <h2 id="run-output-title">Output</h2>
          <JsonBlock value={data.output} testId="run-output" label="Run output" empty={outputNote} />
        </section>
      </div>
    </>
  );
}
