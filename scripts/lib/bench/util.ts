/** Small helpers shared by the bench phases: timing, percentiles, progress, cancellation. */

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile (p in 0..100) of samples; NaN for none. With n < 100 samples, p99 is the maximum. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function summarize(samples: number[], digits = 2): Summary {
  const r = (x: number) => round(x, digits);
  if (samples.length === 0) return { n: 0, p50: Number.NaN, p99: Number.NaN, mean: Number.NaN, min: Number.NaN, max: Number.NaN };
  return {
    n: samples.length,
    p50: r(percentile(samples, 50)),
    p99: r(percentile(samples, 99)),
    mean: r(samples.reduce((a, b) => a + b, 0) / samples.length),
    min: r(Math.min(...samples)),
    max: r(Math.max(...samples)),
  };
}

export function median(samples: number[]): number {
  return percentile(samples, 50);
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** a / b rounded, or null when either side is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined, digits = 3): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return round(a / b, digits);
}

const started = Date.now();

/** Progress on stderr (stdout carries only the JSON report). */
export function progress(message: string): void {
  process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** Cancelled on Ctrl-C / SIGTERM: every wait in the bench checks it, so phases stop promptly and cleanup runs. */
export const abort = new AbortController();

export function checkAbort(): void {
  if (abort.signal.aborted) throw new Interrupted();
}

export function sleep(ms: number): Promise<void> {
  checkAbort();
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      abort.signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(new Interrupted());
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    abort.signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class Timeout extends Error {}

/** Resolves with `promise`, or rejects with Timeout after `ms` (or Interrupted on Ctrl-C). */
export async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Timeout(`timed out after ${Math.round(ms / 1000)} s waiting for ${what}`)), ms);
        onAbort = () => reject(new Interrupted());
        abort.signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) abort.signal.removeEventListener('abort', onAbort);
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; results in order. */
export async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    for (;;) {
      checkAbort();
      const i = next++;
      if (i >= count) return;
      results[i] = await task(i);
    }
  });
  await Promise.all(lanes);
  return results;
}
