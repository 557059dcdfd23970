/**
 * Runs once when the console's server starts: builds the control plane's context, so its
 * configuration and the region files (regions/) are checked at start-up — a bad one stops the
 * server with a message naming it — and the dedicated-region state machine starts working
 * without waiting for a first request.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { serverContext } = await import('./server/context');
  serverContext();
}
