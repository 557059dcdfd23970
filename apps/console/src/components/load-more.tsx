'use client';

/** "Load more" under a cursor-paged list; nothing when there is no next page. */
export function LoadMore({ nextCursor, loading, onLoad, testId = 'load-more' }: { nextCursor: string | null; loading: boolean; onLoad: () => void; testId?: string }) {
  if (!nextCursor) return null;
  return (
    <div>
      <button type="button" className="button" onClick={onLoad} disabled={loading} data-testid={testId}>
        {loading ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}
