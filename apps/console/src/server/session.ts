import { getServerSession } from 'next-auth';
import { redirect } from 'next/navigation';
import { serverContext } from './context.ts';

export interface ConsoleSession {
  user: { id: string; email: string; name?: string | null };
  tenant: { id: string; slug: string; name: string };
}

/** For server components: the signed-in user and tenant, or a redirect to /login. */
export async function requireSession(): Promise<ConsoleSession> {
  const session = (await getServerSession(serverContext().authOptions)) as (ConsoleSession & { tenant: ConsoleSession['tenant'] | null }) | null;
  if (!session?.user?.id || !session.tenant) redirect('/login');
  return session as ConsoleSession;
}
