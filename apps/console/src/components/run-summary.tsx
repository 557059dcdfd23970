import type { ReactNode } from 'react';
import { formatBytes, formatDateTime, spanDuration } from './format';
import type { Run } from './types';

/** Run metadata as a definition list: timings, where it ran, sizes. */
export function RunSummary({ run, now }: { run: Run; now: number }) {
  const items: [string, ReactNode][] = [
    ['Created', formatDateTime(run.createdAt)],
    ['Started', formatDateTime(run.startedAt)],
    ['Finished', formatDateTime(run.finishedAt)],
    ['Duration', spanDuration(run.startedAt, run.finishedAt, now)],
    ['Trigger', run.trigger],
    ['Region', run.region],
    ['Data plane', <span className="mono" key="dp">{run.dataPlaneId}</span>],
    ['Input size', formatBytes(run.inputBytes)],
    ['Output size', formatBytes(run.outputBytes)],
  ];
  if (run.cancelRequestedAt) items.push(['Cancel requested', formatDateTime(run.cancelRequestedAt)]);
  return (
    <dl className="summary" data-testid="run-summary">
      {items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
