import { serverContext } from '@/server/context';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const handler = (request: Request) => serverContext().api.fetch(request);
export { handler as DELETE, handler as GET, handler as HEAD, handler as OPTIONS, handler as PATCH, handler as POST, handler as PUT };
