import NextAuth from 'next-auth';
import { serverContext } from '@/server/context';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Handler = (request: Request, context: { params: Promise<{ nextauth: string[] }> }) => Promise<Response>;
const handler: Handler = (request, context) => (NextAuth(serverContext().authOptions) as Handler)(request, context);
export { handler as GET, handler as POST };
