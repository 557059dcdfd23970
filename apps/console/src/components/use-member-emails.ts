'use client';

import { useEffect, useState } from 'react';
import { api } from './api';
import type { Member } from './identity-types';
import type { Page } from './types';

/**
 * User id → email of this organization's members, to name who did something when the API
 * gives only `user:usr_…`. Read once when `enabled` (the caller holds `members.read`);
 * otherwise, or on failure, the map stays empty and labels fall back to the id.
 */
export function useMemberEmails(enabled: boolean): ReadonlyMap<string, string> {
  const [emails, setEmails] = useState<ReadonlyMap<string, string>>(new Map());

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    api<Page<Member>>('/api/v1/members?limit=200', { signal: controller.signal })
      .then((page) => setEmails(new Map(page.data.map((m) => [m.userId, m.email]))))
      .catch(() => {
        // A nicety: labels fall back to the actor id.
      });
    return () => controller.abort();
  }, [enabled]);

  return emails;
}
