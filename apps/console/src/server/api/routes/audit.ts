import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { authorize } from '../../auth/authorize.ts';
import { verifyAuditChain } from '../../audit.ts';
import { AUDIT_CSV_COLUMNS, auditCsvRow, exportAuditEvents, findAuditEvents, presentAuditEvent, type AuditFilter } from '../../audit-log.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { auditFilterQuery, auditListSchema, auditVerifySchema } from '../identity-schemas.ts';
import { pageQuery } from '../schemas.ts';
import { problem, problems, secured } from './common.ts';

const toFilter = (q: z.infer<typeof auditFilterQuery>): AuditFilter => ({
  ...q,
  from: q.from ? new Date(q.from) : undefined,
  to: q.to ? new Date(q.to) : undefined,
});

export function registerAuditRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit',
      summary: "The tenant's audit trail, newest first",
      tags: ['Audit'],
      ...secured('audit.read'),
      request: { query: auditFilterQuery.extend(pageQuery) },
      responses: { 200: { description: 'A page of events', content: { 'application/json': { schema: auditListSchema } } }, ...problems, 422: problem('Invalid filter') },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const { items, nextCursor } = await findAuditEvents(db, c.get('call'), { ...toFilter(query), cursor: query.cursor, limit: query.limit });
      return c.json({ data: items.map(presentAuditEvent), nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit/export',
      summary: 'Export every matching event, oldest first, as JSON Lines or CSV',
      tags: ['Audit'],
      ...secured('audit.read'),
      request: { query: auditFilterQuery.extend({ format: z.enum(['jsonl', 'csv']).default('jsonl') }) },
      responses: {
        200: { description: 'The events', content: { 'application/x-ndjson': { schema: z.string() }, 'text/csv': { schema: z.string() } } },
        ...problems,
        422: problem('Invalid filter'),
      },
    }),
    async (c) => {
      const call = c.get('call');
      authorize(call.actor, 'audit.read');
      const { format, ...filter } = c.req.valid('query');
      const rows = exportAuditEvents(db, call, toFilter(filter));
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          if (format === 'csv') controller.enqueue(encoder.encode(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`));
        },
        async pull(controller) {
          const next = await rows.next();
          if (next.done) return controller.close();
          controller.enqueue(encoder.encode(format === 'csv' ? `${auditCsvRow(next.value)}\r\n` : `${JSON.stringify(presentAuditEvent(next.value))}\n`));
        },
        async cancel() {
          await rows.return(undefined);
        },
      });
      const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '');
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
          'content-disposition': `attachment; filename="audit-${stamp}.${format}"`,
          'x-request-id': c.get('requestId'),
        },
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit/verify',
      summary: "Recompute the tenant's audit hash chain",
      description: 'Reports the first event whose link does not hold: edited, removed, reordered, or moved.',
      tags: ['Audit'],
      ...secured('audit.read'),
      responses: { 200: { description: 'The result', content: { 'application/json': { schema: auditVerifySchema } } }, ...problems },
    }),
    async (c) => {
      const call = c.get('call');
      authorize(call.actor, 'audit.read');
      return c.json(await verifyAuditChain(db, call.actor.tenantId), 200);
    },
  );
}
