import { defineConfig } from 'prisma/config';

// Migrations are applied by `npm run migrate` (services/migrate), which works offline;
// the Prisma CLI is used only for `generate`.
export default defineConfig({
  schema: './schema.prisma',
  migrations: { path: './migrations' },
});
