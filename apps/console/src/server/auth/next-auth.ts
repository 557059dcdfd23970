import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import type { Db } from '../db/client.ts';
import { verifyPassword } from './passwords.ts';

/**
 * Console sign-in: email + password against the control-plane database, JWT sessions.
 * The session carries the user's id and active tenant; authorization re-reads the role
 * from the database on every request (see authenticate.ts).
 */
export function createAuthOptions(db: Db, secret: string): NextAuthOptions {
  return {
    secret,
    session: { strategy: 'jwt', maxAge: 8 * 60 * 60 },
    pages: { signIn: '/login' },
    providers: [
      CredentialsProvider({
        name: 'Email and password',
        credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
        async authorize(credentials) {
          const email = credentials?.email?.trim().toLowerCase();
          const password = credentials?.password ?? '';
          if (!email || !password) return null;
          const user = await db.user.findUnique({ where: { email } });
          const ok = await verifyPassword(password, user?.passwordHash);
          if (!user || !ok) return null;
          return { id: user.id, email: user.email, name: user.name };
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          const membership = await db.membership.findFirst({
            where: { userId: user.id },
            orderBy: { createdAt: 'asc' },
            include: { tenant: true },
          });
          token.sub = user.id;
          token.tenantId = membership?.tenantId;
          token.tenantSlug = membership?.tenant.slug;
          token.tenantName = membership?.tenant.name;
        }
        return token;
      },
      async session({ session, token }) {
        return {
          ...session,
          user: { ...session.user, id: token.sub },
          tenant: token.tenantId ? { id: token.tenantId, slug: token.tenantSlug, name: token.tenantName } : null,
        };
      },
    },
  };
}
