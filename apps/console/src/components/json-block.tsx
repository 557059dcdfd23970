/** Pretty-printed JSON in a scrollable monospace block; `undefined` says there is no value yet. */
export function JsonBlock({ value, testId, label, empty = 'No value.' }: { value: unknown; testId?: string; label?: string; empty?: string }) {
  if (value === undefined) {
    return (
      <p className="muted" data-testid={testId} data-empty="true">
        {empty}
      </p>
    );
  }
  return (
    <pre className="code" data-testid={testId} aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
