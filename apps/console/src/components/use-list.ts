'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorMessage } from './api';

/**
 * An unpaged `{ data: T[] }` list from `/api/v1`, read on mount (and whenever `path`
 * changes); `null` path reads nothing. `setItems` lets a view apply its own edits.
 */
export function useList<T>(path: string | null) {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef(0);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      if (!path) return;
      const mine = ++generation.current;
      setError(null);
      try {
        const page = await api<{ data: T[] }>(path, { signal });
        if (mine === generation.current) setItems(page.data);
      } catch (err) {
        if (mine === generation.current && !signal?.aborted) setError(errorMessage(err));
      }
    },
    [path],
  );

  useEffect(() => {
    const controller = new AbortController();
    setItems(null);
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  return { items, setItems, error, reload: load };
}
