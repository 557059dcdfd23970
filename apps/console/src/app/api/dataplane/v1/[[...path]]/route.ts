import { serverContext } from '@/server/context';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
// Command long-polls are held open for up to 30 s.
export const maxDuration = 60;

const handler = (request: Request) => serverContext().gateway.fetch(request);
export { handler as GET, handler as POST };
