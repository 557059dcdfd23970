'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './api';
import type { Page, WorkflowSummary } from './types';

/**
 * Workflow id → name for labelling runs. Loaded once, and again (at most every 5 s) when
 * a run of a workflow we have not seen shows up.
 */
export function useWorkflowNames(): { names: ReadonlyMap<string, string>; noteWorkflowIds: (ids: string[]) => void } {
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  const lastLoad = useRef(0);
  const loading = useRef(false);

  const load = useCallback(async () => {
    if (loading.current) return;
    loading.current = true;
    lastLoad.current = Date.now();
    try {
      const page = await api<Page<WorkflowSummary>>('/api/v1/workflows?limit=200');
      setNames(new Map(page.data.map((w) => [w.id, w.name])));
    } catch {
      // Names are a nicety: rows fall back to the workflow id.
    } finally {
      loading.current = false;
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const noteWorkflowIds = useCallback(
    (ids: string[]) => {
      if (ids.some((id) => !names.has(id)) && Date.now() - lastLoad.current > 5000) void load();
    },
    [names, load],
  );

  return { names, noteWorkflowIds };
}
