'use client';

import { useEffect, useRef, useState } from 'react';
import type { LiveLogLine, LiveNodeEvent } from '@orvanta/protocol';
import { runLogsLinkOf } from './run-data';
import type { NodeExecutionData } from './types';

type LogEntry = NodeExecutionData['logs'][number];

/** The lines a running message logged so far, of its latest attempt. */
export interface LiveMessageLogs {
  attempt: number;
  lines: LogEntry[];
}

/** `open`: lines arrive as they are logged; anything else: the page relies on polling `/data`. */
export type LiveLogsState = 'off' | 'connecting' | 'open' | 'failed';

/** Lines are handed to React at most this often, however chatty the script. */
const FLUSH_MS = 100;
/** After the stream was refused or dropped for good: try again this much later (then give up until the run changes). */
const REOPEN_AFTER_MS = [2000, 5000, 15_000];
/** A message logs at most 1,000 lines (and a truncation notice) on the data plane. */
const MAX_LINES = 1001;

interface Stored {
  attempt: number;
  lines: LogEntry[];
  seqs: Set<string>;
}

/**
 * Subscribes to the run's live-logs stream on its data plane (Server-Sent Events, same signed
 * link as `/data`) while `enabled`, and collects each running message's lines. EventSource
 * resumes after a dropped connection by itself (Last-Event-ID); when the data plane refuses
 * the stream (an expired token, too many streams) it is reopened a few times with the latest
 * `link`, then left to polling. `onChange` hears that a message started or stopped running,
 * or that the run ended: the caller reads `/data` again for results.
 */
export function useLiveLogs({ runId, link, enabled, onChange }: { runId: string; link: string | null; enabled: boolean; onChange: () => void }): { logs: Record<string, LiveMessageLogs>; state: LiveLogsState } {
  const [logs, setLogs] = useState<Record<string, LiveMessageLogs>>({});
  const [state, setState] = useState<LiveLogsState>('off');
  const [reopen, setReopen] = useState(0);
  const linkRef = useRef(link);
  const onChangeRef = useRef(onChange);
  const store = useRef(new Map<string, Stored>());
  const failures = useRef(0);
  useEffect(() => {
    linkRef.current = link;
    onChangeRef.current = onChange;
  });

  useEffect(() => {
    store.current = new Map();
    failures.current = 0;
    setLogs({});
  }, [runId]);

  useEffect(() => {
    const url = enabled && linkRef.current ? runLogsLinkOf(linkRef.current) : null;
    if (!url) {
      setState(enabled ? 'failed' : 'off');
      return;
    }
    setState('connecting');
    const source = new EventSource(url);
    let flush: ReturnType<typeof setTimeout> | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const publish = () => {
      flush ??= setTimeout(() => {
        flush = undefined;
        setLogs(Object.fromEntries([...store.current].map(([id, s]) => [id, { attempt: s.attempt, lines: s.lines }])));
      }, FLUSH_MS);
    };
    /** A message's store for `attempt`; an older attempt's lines give way to a newer one's. */
    const slot = (messageId: string, attempt: number): Stored | undefined => {
      const stored = store.current.get(messageId);
      if (stored && stored.attempt > attempt) return undefined;
      if (stored && stored.attempt === attempt) return stored;
      const fresh = { attempt, lines: [], seqs: new Set<string>() };
      store.current.set(messageId, fresh);
      return fresh;
    };

    source.onopen = () => {
      failures.current = 0;
      setState('open');
    };
    source.addEventListener('log', (event) => {
      const line = parse<LiveLogLine>(event);
      if (!line) return;
      const stored = slot(line.messageId, line.attempt);
      if (!stored || stored.seqs.has(line.seq) || stored.lines.length >= MAX_LINES) return;
      stored.seqs.add(line.seq);
      // A new array: the card re-renders with the line.
      stored.lines = [...stored.lines, { level: line.level, message: line.message, at: line.at }];
      publish();
    });
    source.addEventListener('node', (event) => {
      const node = parse<LiveNodeEvent>(event);
      if (!node) return;
      if (node.status === 'running' && slot(node.messageId, node.attempt)?.lines.length === 0) publish();
      onChangeRef.current();
    });
    source.addEventListener('end', () => {
      source.close();
      setState('off');
      onChangeRef.current();
    });
    source.onerror = () => {
      // CONNECTING: the browser retries by itself (and resumes after the last line it got).
      if (source.readyState !== EventSource.CLOSED) {
        setState('connecting');
        return;
      }
      setState('failed');
      const delay = REOPEN_AFTER_MS[failures.current++];
      if (delay !== undefined) retry = setTimeout(() => setReopen((n) => n + 1), delay);
    };
    return () => {
      source.close();
      clearTimeout(flush);
      clearTimeout(retry);
    };
  }, [enabled, reopen, runId]);

  return { logs, state };
}

function parse<T>(event: Event): T | null {
  try {
    return JSON.parse((event as MessageEvent<string>).data) as T;
  } catch {
    return null;
  }
}
