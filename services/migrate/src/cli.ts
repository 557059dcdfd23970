// npm run migrate [control|dataplane]
// Applies the control plane to DATABASE_URL and the data plane to DATAPLANE_DATABASE_URL,
// each only when its variable is set. Exit code 1 on any failure.
import { z } from 'zod';
import { migrate, type Plane } from './index.ts';

const postgresUrl = z
  .string()
  .trim()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL');

const Env = z.object({
  DATABASE_URL: postgresUrl.optional(),
  DATAPLANE_DATABASE_URL: postgresUrl.optional(),
});

const Args = z.tuple([z.enum(['control', 'dataplane']).optional()]);

const VARIABLE: Record<Plane, 'DATABASE_URL' | 'DATAPLANE_DATABASE_URL'> = {
  control: 'DATABASE_URL',
  dataplane: 'DATAPLANE_DATABASE_URL',
};

function fail(message: string): never {
  console.error(`migrate: ${message.replace(/\s*\n\s*/g, ' ')}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const args = Args.safeParse(process.argv.slice(2));
  if (!args.success) fail('usage: migrate [control|dataplane]');
  // An empty variable counts as unset, as in most shells' `VAR= cmd`.
  const env = Env.safeParse({
    DATABASE_URL: process.env.DATABASE_URL || undefined,
    DATAPLANE_DATABASE_URL: process.env.DATAPLANE_DATABASE_URL || undefined,
  });
  if (!env.success) fail(env.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '));

  const only = args.data[0];
  const planes: Plane[] = only ? [only] : ['control', 'dataplane'];
  const targets = planes.filter((plane) => env.data[VARIABLE[plane]]);
  if (only && targets.length === 0) fail(`${VARIABLE[only]} is not set`);
  if (targets.length === 0) fail('neither DATABASE_URL nor DATAPLANE_DATABASE_URL is set');

  for (const plane of targets) {
    try {
      const { applied } = await migrate({ connectionString: env.data[VARIABLE[plane]]!, plane, log: (line) => line.startsWith('waiting') && console.log(`${plane}: ${line}`) });
      for (const name of applied) console.log(`${plane}: applied ${name}`);
      if (applied.length === 0) console.log(`${plane}: up to date`);
    } catch (error) {
      fail(`${plane}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

await main();
