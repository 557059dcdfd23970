// Generates both Prisma clients without downloading an engine: Prisma 7's client needs
// none, and pointing the schema engine at /bin/false stops the CLI from fetching one
// (there is no internet here, nor at an air-gapped on-prem site).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
for (const plane of ['control', 'dataplane']) {
  const config = `prisma/${plane}/prisma.config.ts`;
  if (!existsSync(config)) continue;
  execFileSync('npx', ['prisma', 'generate', '--config', config], { stdio: 'inherit', env });
}
