import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Invitation, Membership, User } from '../../db/generated/client.ts';
import { changeMemberRole, createInvitation, findMembers, findPendingInvitations, removeMember, revokeInvitation } from '../../members/service.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { invitationBodySchema, invitationListSchema, invitationSchema, memberListSchema, memberPatchSchema, memberSchema } from '../identity-schemas.ts';
import { idParam, pageQuery } from '../schemas.ts';
import { z } from '@hono/zod-openapi';
import { problem, problems, secured } from './common.ts';

const presentMember = (m: Membership & { user: User }, actorId: string) => ({
  id: m.id,
  userId: m.userId,
  email: m.user.email,
  name: m.user.name,
  role: m.role,
  createdAt: m.createdAt.toISOString(),
  you: m.userId === actorId,
});

const presentInvitation = (i: Invitation, inviters: Map<string, string>) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  status: i.acceptedAt ? ('accepted' as const) : i.revokedAt ? ('revoked' as const) : i.expiresAt <= new Date() ? ('expired' as const) : ('pending' as const),
  createdAt: i.createdAt.toISOString(),
  expiresAt: i.expiresAt.toISOString(),
  invitedBy: i.invitedById ? { id: i.invitedById, email: inviters.get(i.invitedById) ?? null } : null,
});

export function registerMemberRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db } = deps;
  const inviterEmails = async (ids: (string | null)[]) => {
    const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))];
    const users = wanted.length ? await db.user.findMany({ where: { id: { in: wanted } }, select: { id: true, email: true } }) : [];
    return new Map(users.map((u) => [u.id, u.email]));
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/members',
      summary: "List the tenant's members",
      tags: ['Members'],
      ...secured('members.read'),
      request: { query: z.object(pageQuery) },
      responses: { 200: { description: 'A page of members', content: { 'application/json': { schema: memberListSchema } } }, ...problems },
    }),
    async (c) => {
      const call = c.get('call');
      const { items, nextCursor } = await findMembers(db, call, c.req.valid('query'));
      return c.json({ data: items.map((m) => presentMember(m, call.actor.id)), nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/members/{id}',
      summary: "Change a member's role",
      description: 'Granting or taking away a role needs every permission of that role; the last owner cannot be demoted.',
      tags: ['Members'],
      ...secured('members.write'),
      request: { params: idParam, body: { required: true, content: { 'application/json': { schema: memberPatchSchema } } } },
      responses: { 200: { description: 'The member', content: { 'application/json': { schema: memberSchema } } }, ...problems, 409: problem('Would leave the tenant without an owner'), 422: problem('Invalid role') },
    }),
    async (c) => {
      const call = c.get('call');
      const member = await changeMemberRole(db, call, c.req.valid('param').id, c.req.valid('json').role);
      return c.json(presentMember(member, call.actor.id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/members/{id}',
      summary: 'Remove a member',
      description: "Their sessions in this tenant end and the API keys they created here are revoked, at once.",
      tags: ['Members'],
      ...secured('members.write'),
      request: { params: idParam },
      responses: { 204: { description: 'Removed' }, ...problems, 409: problem('Would leave the tenant without an owner') },
    }),
    async (c) => {
      await removeMember(db, c.get('call'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/invitations',
      summary: 'List pending invitations',
      tags: ['Members'],
      ...secured('members.read'),
      responses: { 200: { description: 'Pending invitations', content: { 'application/json': { schema: invitationListSchema } } }, ...problems },
    }),
    async (c) => {
      const rows = await findPendingInvitations(db, c.get('call'));
      const inviters = await inviterEmails(rows.map((r) => r.invitedById));
      return c.json({ data: rows.map((r) => presentInvitation(r, inviters)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/invitations',
      summary: 'Invite someone by email',
      description: 'Sends a single-use link valid for 7 days. A pending invitation for the same address is replaced.',
      tags: ['Members'],
      ...secured('members.write'),
      request: { body: { required: true, content: { 'application/json': { schema: invitationBodySchema } } } },
      responses: { 201: { description: 'Invitation sent', content: { 'application/json': { schema: invitationSchema } } }, ...problems, 409: problem('Already a member'), 422: problem('Invalid email or role') },
    }),
    async (c) => {
      const invitation = await createInvitation(db, c.get('call'), { mailer: deps.mailer, publicUrl: deps.config.PUBLIC_URL }, c.req.valid('json'));
      return c.json(presentInvitation(invitation, await inviterEmails([invitation.invitedById])), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/invitations/{id}',
      summary: 'Withdraw an invitation',
      tags: ['Members'],
      ...secured('members.write'),
      request: { params: idParam },
      responses: { 204: { description: 'Withdrawn: the link no longer works' }, ...problems, 409: problem('Already accepted') },
    }),
    async (c) => {
      await revokeInvitation(db, c.get('call'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}
