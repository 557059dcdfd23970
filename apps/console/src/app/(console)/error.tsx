'use client';

import { Alert } from '@/components/alert';

/** Anything a console page throws: say so and offer a retry instead of a blank page. */
export default function ConsoleError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="stack">
      <Alert>
        This page could not be shown. {error.digest ? <span className="mono small">(reference {error.digest})</span> : null}
      </Alert>
      <div>
        <button type="button" className="button" onClick={reset}>
          Try again
        </button>
      </div>
    </div>
  );
}
