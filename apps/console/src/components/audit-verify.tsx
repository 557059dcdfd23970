'use client';

import { useState } from 'react';
import { Alert } from './alert';
import { api, errorMessage } from './api';
import type { AuditVerification } from './identity-types';

/** Re-checks the audit hash chain on the server and says whether it is intact. */
export function AuditVerify() {
  const [result, setResult] = useState<AuditVerification | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function verify() {
    setPending(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api<AuditVerification>('/api/v1/audit/verify'));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <div className="stack-tight">
      <div>
        <button type="button" className="button" onClick={() => void verify()} disabled={pending}>
          {pending ? 'Verifying…' : 'Verify chain'}
        </button>
      </div>
      {error && <Alert testId="audit-verify-result">Could not verify the chain: {error}</Alert>}
      {result &&
        (result.ok || !result.firstBroken ? (
          <Alert kind="info" testId="audit-verify-result">
            Chain intact: {result.checked} {result.checked === 1 ? 'event' : 'events'} verified
          </Alert>
        ) : (
          <Alert testId="audit-verify-result">
            Chain broken at event #{result.firstBroken.seq} ({result.firstBroken.id ?? 'missing'}): {result.firstBroken.reason}
          </Alert>
        ))}
    </div>
  );
}
