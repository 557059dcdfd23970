import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.next/**', '**/generated/**', 'test-results/**', 'playwright-report/**', 'apps/console/next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // The planes are separate programs: they share only the packages in services/ that
    // are made for both (spec, protocol, migrate, devstack).
    files: ['apps/console/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@orvanta/dataplane', '**/services/dataplane/**'], message: 'The console must not import data-plane internals; use @orvanta/protocol.' }] }],
    },
  },
  {
    files: ['services/dataplane/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@orvanta/console', '**/apps/console/**'], message: 'The data plane must not import control-plane internals; use @orvanta/protocol.' }] }],
    },
  },
  {
    // Prisma stays in repository/service modules, never in route files or pages.
    files: ['apps/console/src/app/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/db/generated/**', '@prisma/*'], message: 'Route files and pages call services; they do not query the database.' }] }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
  },
);
