import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import type { OAuthConfig } from 'next-auth/providers/oauth';
import { passwordSignIn, SignInError } from '../account/service.ts';
import type { ServerDeps } from '../api/context.ts';
import { recordAudit } from '../audit.ts';
import { ssoClientFor, ssoProviderId, ssoSignIn } from '../sso/service.ts';
import { requestMeta } from './actor.ts';
import { createUserSession } from './sessions.ts';

type Deps = Pick<ServerDeps, 'db' | 'config'>;

const SSO_PATH = /\/api\/auth\/(?:signin|callback)\/sso-([a-z0-9-]+)(?:$|\?)/;

interface OidcProfile {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

/**
 * Console sign-in through next-auth, built per request: email + password always, plus
 * the OpenID Connect provider of the tenant whose SSO the request is about
 * (`/api/auth/signin/sso-<slug>`, `/api/auth/callback/sso-<slug>`).
 *
 * The cookie is a next-auth JWT carrying the user id and a `UserSession` id (`sid`);
 * the row, not the cookie, decides whether the session is alive and which tenant it is in
 * (see sessions.ts and authenticate.ts).
 */
export async function createAuthOptions(deps: Deps, request?: Request): Promise<NextAuthOptions> {
  const { db, config } = deps;
  const meta = request ? requestMeta(request.headers, config.TRUSTED_PROXY_HOPS) : {};
  const maxAge = Math.round(config.SESSION_MAX_AGE_HOURS * 3600);
  const providers: NextAuthOptions['providers'] = [
    CredentialsProvider({
      name: 'Email and password',
      credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(credentials) {
        const email = credentials?.email?.trim() ?? '';
        const password = credentials?.password ?? '';
        if (!email || !password) return null;
        try {
          const { user, tenantId } = await passwordSignIn(db, { email, password }, meta);
          return { id: user.id, email: user.email, name: user.name, tenantId };
        } catch (err) {
          // next-auth hands the message to the sign-in form as `error`.
          if (err instanceof SignInError) {
            if (err.reason === 'CredentialsSignin') return null;
            throw new Error(err.reason);
          }
          throw err;
        }
      },
    }),
  ];

  const slug = request ? SSO_PATH.exec(new URL(request.url).pathname)?.[1] : undefined;
  const sso = slug ? await ssoClientFor(db, slug, config.AUTH_SECRET) : null;
  if (slug && sso) {
    const provider: OAuthConfig<OidcProfile> = {
      id: ssoProviderId(slug),
      name: `${sso.tenantName} single sign-on`,
      type: 'oauth',
      wellKnown: `${sso.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
      clientId: sso.clientId,
      clientSecret: sso.clientSecret,
      authorization: { params: { scope: 'openid email profile' } },
      idToken: true,
      checks: ['pkce', 'state', 'nonce'],
      // Providers that follow OIDC Core 5.4 put email and name only in userinfo when an
      // access token is issued; others only in the ID token. Read both (userinfo wins;
      // openid-client checks that its subject is the ID token's).
      userinfo: {
        async request({ client, tokens }) {
          // next-auth hands over openid-client's TokenSet, though its type says plain parameters.
          const set = tokens as unknown as Parameters<typeof client.userinfo>[0] & { claims(): Record<string, unknown> };
          const fromIdToken = tokens.id_token ? set.claims() : {};
          const fromUserinfo = tokens.access_token ? await client.userinfo(set) : {};
          return { ...fromIdToken, ...fromUserinfo } as unknown as OidcProfile;
        },
      },
      profile: (profile) => ({ id: profile.sub, email: profile.email ?? null, name: profile.name ?? profile.email ?? null }),
    };
    providers.push(provider);
  }

  return {
    secret: config.AUTH_SECRET,
    session: { strategy: 'jwt', maxAge },
    pages: { signIn: '/login', error: '/login' },
    providers,
    callbacks: {
      async signIn({ account, profile }) {
        if (!account?.provider.startsWith('sso-') || !slug) return true;
        try {
          await ssoSignIn(db, slug, (profile ?? {}) as Record<string, unknown>, meta);
          return true;
        } catch (err) {
          return `/login?error=${encodeURIComponent((err as Error).message.startsWith('sso_') ? (err as Error).message : 'sso_failed')}`;
        }
      },
      async jwt({ token, user, account }) {
        if (!user || !account) return token;
        let userId: string;
        let tenantId: string;
        if (account.provider === 'credentials') {
          userId = user.id;
          tenantId = (user as unknown as { tenantId: string }).tenantId;
        } else {
          // The SSO person was provisioned in signIn above; find them by their verified email.
          const row = await db.user.findUniqueOrThrow({ where: { email: String(user.email).toLowerCase() } });
          const tenant = await db.tenant.findUniqueOrThrow({ where: { slug: slug! } });
          userId = row.id;
          tenantId = tenant.id;
        }
        const method = account.provider === 'credentials' ? 'password' : 'sso';
        const session = await db.$transaction(async (tx) => {
          const created = await createUserSession(tx, { userId, tenantId, method, ip: meta.ip, userAgent: meta.userAgent, maxAgeSeconds: maxAge });
          await recordAudit(tx, { tenantId, actor: { type: 'user', id: userId }, action: 'user.signed_in', target: { type: 'session', id: created.id }, after: { method }, meta });
          return created;
        });
        return { sub: userId, sid: session.id, email: user.email, name: user.name };
      },
      async session({ session, token }) {
        return { ...session, user: { ...session.user, id: token.sub } };
      },
    },
    events: {
      async signOut({ token }) {
        const sid = typeof token?.sid === 'string' ? token.sid : undefined;
        if (!sid) return;
        await db.userSession.updateMany({ where: { id: sid, revokedAt: null }, data: { revokedAt: new Date() } });
      },
    },
  };
}
