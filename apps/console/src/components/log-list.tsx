import type { NodeExecutionData } from './types';

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false });

/** A node's log lines, oldest first, in monospace. */
export function LogList({ logs }: { logs: NodeExecutionData['logs'] }) {
  if (logs.length === 0) return <p className="muted small">No logs.</p>;
  return (
    <ol className="logs" data-testid="node-logs">
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
