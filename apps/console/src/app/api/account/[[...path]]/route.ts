import { serverContext } from '@/server/context';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const handler = (request: Request) => serverContext().account.fetch(request);
export { handler as GET, handler as POST };
