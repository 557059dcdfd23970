import { Alert } from './alert';

/**
 * An error message. A validation error lists its field problems (`errors[]`) instead of its
 * detail, which only repeats them in one line.
 */
export function ProblemAlert({ message, fields = [], testId }: { message: string; fields?: string[]; testId?: string }) {
  return (
    <Alert testId={testId}>
      {fields.length === 0 ? (
        message
      ) : (
        <>
          Please fix the following and try again:
          <ul>
            {fields.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        </>
      )}
    </Alert>
  );
}
