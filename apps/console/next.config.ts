import path from 'node:path';
import type { NextConfig } from 'next';

const config: NextConfig = {
  // Workspace packages ship TypeScript sources.
  transpilePackages: ['@orvanta/spec', '@orvanta/protocol'],
  serverExternalPackages: ['@prisma/client', '@prisma/adapter-pg', 'pg', 'jose'],
  turbopack: { root: path.join(import.meta.dirname, '../..') },
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
};

export default config;
