import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target)) {
    if (entry === 'node_modules' || entry === '.next') continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

/** True when the console has no production build, or its sources changed since. */
export function consoleBuildIsStale(root: string): boolean {
  const buildId = path.join(root, 'apps/console/.next/BUILD_ID');
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  const sources = ['apps/console/src', 'apps/console/next.config.ts', 'services/spec/src', 'services/protocol/src', 'prisma/control/schema.prisma', 'package-lock.json'];
  return sources.some((s) => newestMtime(path.join(root, s)) > built);
}
