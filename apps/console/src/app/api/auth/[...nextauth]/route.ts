import NextAuth from 'next-auth';
import { createAuthOptions } from '@/server/auth/next-auth';
import { serverContext } from '@/server/context';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Handler = (request: Request, context: { params: Promise<{ nextauth: string[] }> }) => Promise<Response>;
// Options are built per request: the SSO provider depends on the tenant in the path.
const handler: Handler = async (request, context) => (NextAuth(await createAuthOptions(serverContext(), request)) as Handler)(request, context);
export { handler as GET, handler as POST };
