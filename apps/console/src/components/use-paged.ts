'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorMessage } from './api';
import type { Page } from './types';

/**
 * A cursor-paged list from `/api/v1`: the first page on mount (and whenever `path` changes),
 * then `loadMore()` appends the next. `setItems` lets a view apply its own edits.
 */
export function usePaged<T>(path: string) {
  const [items, setItems] = useState<T[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const generation = useRef(0);

  const loadFirst = useCallback(
    async (signal?: AbortSignal) => {
      const mine = ++generation.current;
      setError(null);
      try {
        const page = await api<Page<T>>(path, { signal });
        if (mine !== generation.current) return;
        setItems(page.data);
        setNextCursor(page.nextCursor);
      } catch (err) {
        if (mine === generation.current && !signal?.aborted) setError(errorMessage(err));
      }
    },
    [path],
  );

  useEffect(() => {
    const controller = new AbortController();
    setItems(null);
    setNextCursor(null);
    void loadFirst(controller.signal);
    return () => controller.abort();
  }, [loadFirst]);

  const loadMore = useCallback(async () => {
    if (!nextCursor) return;
    const mine = generation.current;
    setLoadingMore(true);
    setError(null);
    try {
      const page = await api<Page<T>>(`${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(nextCursor)}`);
      if (mine !== generation.current) return;
      setItems((prev) => [...(prev ?? []), ...page.data]);
      setNextCursor(page.nextCursor);
    } catch (err) {
      if (mine === generation.current) setError(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  }, [path, nextCursor]);

  return { items, setItems, nextCursor, loadMore, loadingMore, error, reload: loadFirst };
}
