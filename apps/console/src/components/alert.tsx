import type { ReactNode } from 'react';

/** A message box: `error` is announced to assistive technology at once, `info` politely. */
export function Alert({ kind = 'error', children, testId }: { kind?: 'error' | 'info' | 'warning'; children: ReactNode; testId?: string }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-testid={testId}>
      {children}
    </div>
  );
}
