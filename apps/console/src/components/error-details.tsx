/** An execution error: class and message up front, then the stack in a monospace block (collapsible). */
export function ErrorDetails({ error, testId }: { error: { class: string; name?: string; message: string; stack?: string }; testId?: string }) {
  return (
    <div className="error-details" data-testid={testId}>
      <p>
        <span className="error-class">{error.name ?? error.class}</span>
        {error.name && error.name !== error.class && <span className="muted small"> ({error.class})</span>}
        {': '}
        <span data-testid="error-message">{error.message}</span>
      </p>
      {error.stack && (
        <details open>
          <summary>Stack trace</summary>
          <pre className="code code-error">{error.stack}</pre>
        </details>
      )}
    </div>
  );
}
