import { expect } from 'vitest';
import type { TestControlPlane } from './control-plane.ts';
import { apiClient } from './http.ts';

/**
 * People in a test control plane: signed-in sessions whose calls carry the cookie (and the
 * console's origin on writes), fresh tenants with their owner signed in, members by role,
 * and the links the dev outbox mailed them. Takes the control plane lazily, so a test file
 * can destructure the helpers at module level and start the control plane in beforeAll.
 */
export function people(controlPlane: () => TestControlPlane) {
  const call = (...args: Parameters<ReturnType<typeof apiClient>>) => apiClient(controlPlane().url)(...args);
  let counter = 0;
  const unique = (what: string) => `${what}-${Date.now().toString(36)}${(counter++).toString(36)}`;

  async function sessionOf(userId: string, tenantId: string) {
    const cp = controlPlane();
    const { cookie, sessionId } = await cp.signIn(userId, tenantId);
    const as = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => call(method, path, body, { cookie, origin: cp.url, ...headers });
    return { cookie, sessionId, call: as };
  }

  /** A fresh tenant with its owner signed in, and a client with its owner's API key. */
  async function freshTenant(what = 'org') {
    const cp = controlPlane();
    const tenant = await cp.tenant(unique(what));
    return { ...tenant, owner: await sessionOf(tenant.userId, tenant.tenantId), key: apiClient(cp.url, tenant.apiKey) };
  }

  /** A person with this role in the tenant, signed in. */
  async function signedInMember(tenantId: string, role: string, email = `${unique(role)}@people.test`) {
    const cp = controlPlane();
    const { userId, membershipId } = await cp.member(tenantId, email, role);
    return { userId, membershipId, email, ...(await sessionOf(userId, tenantId)) };
  }

  /** The token of the newest /invite/… or /reset-password/… link mailed to `email`. */
  async function linkIn(email: string, path: 'invite' | 'reset-password'): Promise<string> {
    const cp = controlPlane();
    const [mail] = await cp.db.devMail.findMany({ where: { to: email }, orderBy: { createdAt: 'desc' } });
    const match = new RegExp(`/${path}/([A-Za-z0-9_-]+)`).exec(mail?.text ?? '');
    expect(match, `a /${path}/<token> link mailed to ${email}`).not.toBeNull();
    return match![1]!;
  }

  return { call, unique, sessionOf, freshTenant, signedInMember, linkIn };
}
