'use client';

import { useEffect, useRef } from 'react';

/**
 * Runs `tick` now and then again `intervalMs` after each run finishes (never two at once),
 * until it returns false, `enabled` turns false or the component unmounts. Changing `key`
 * restarts it at once (e.g. a new filter).
 */
export function usePolling(tick: (signal: AbortSignal) => Promise<boolean | void>, intervalMs: number, options: { enabled?: boolean; key?: string } = {}) {
  const { enabled = true, key = '' } = options;
  const tickRef = useRef(tick);
  useEffect(() => {
    tickRef.current = tick;
  });

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loop = async () => {
      let again: boolean | void = true;
      try {
        again = await tickRef.current(controller.signal);
      } catch {
        // The tick reports its own errors; keep polling.
      }
      if (again !== false && !controller.signal.aborted) timer = setTimeout(loop, intervalMs);
    };
    void loop();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [enabled, intervalMs, key]);
}
