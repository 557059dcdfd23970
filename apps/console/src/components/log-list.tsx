import type { NodeExecutionData } from './types';

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false });

/** A node's log lines, oldest first, in monospace; `live` while they are still being written. */
export function LogList({ logs, live = false }: { logs: NodeExecutionData['logs']; live?: boolean }) {
  if (logs.length === 0) {
    return (
      <p className="muted small" data-testid={live ? 'node-logs-waiting' : undefined}>
        {live ? 'No logs yet.' : 'No logs.'}
      </p>
    );
  }
  return (
    <ol className="logs" data-testid="node-logs" data-live={live ? 'true' : undefined} aria-live={live ? 'polite' : undefined}>
      {logs.map((log, i) => (
        <li key={i} className={`log log-${log.level}`}>
          <time dateTime={log.at}>{time.format(new Date(log.at))}</time>
          <span className="log-level">{log.level}</span>
          <span className="log-message">{log.message}</span>
        </li>
      ))}
    </ol>
  );
}
