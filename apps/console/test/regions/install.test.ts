import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { installInstructions, shellQuote } from '../../src/server/regions/install.ts';

const NASTY = `tok'en "with" $HOME \`id\` ; #x,y\\z`;
const base = { controlPlaneUrl: 'https://app.orvanta.example', enrollmentToken: 'enr_abc123', dataPlaneId: 'dp_01ONPREM', image: 'ghcr.io/orvanta/dataplane:0.1.0', random: (n: number) => 'f'.repeat(n * 2) };

/** What sh makes of a word: runs printf with it. */
const shellWord = (word: string) => execFileSync('sh', ['-c', `printf %s ${word}`], { encoding: 'utf8' });

describe('on-prem install instructions', () => {
  it('compose: the on-prem file with every value filled in, no placeholders, the token intact', () => {
    const { compose } = installInstructions({ ...base, enrollmentToken: NASTY, publicUrl: 'https://dp.customer.example' });
    expect(compose).not.toMatch(/\$\{|<[a-z-]+>|TODO|changeme/i);
    const doc = parse(compose) as { services: Record<string, { image?: string; environment?: Record<string, string>; ports?: string[] }> };
    const env = doc.services.dataplane!.environment!;
    // Compose turns $$ into $, so the value the container sees is the token itself.
    expect(env.ENROLLMENT_TOKEN!.replaceAll('$$', '$')).toBe(NASTY);
    expect(env.ENROLLMENT_TOKEN).toContain('$$HOME');
    expect(doc.services.dataplane!.image).toBe('ghcr.io/orvanta/dataplane:0.1.0');
    expect(env.CONTROL_PLANE_URL).toBe('https://app.orvanta.example');
    expect(env.PUBLIC_URL).toBe('https://dp.customer.example');
    expect(env.DATABASE_URL).toBe(`postgresql://orvanta:${'f'.repeat(48)}@postgres:5432/orvanta`);
    expect(doc.services.postgres!.environment!.POSTGRES_PASSWORD).toBe('f'.repeat(48));
    expect(env.SECRETS_KEY!.length).toBeGreaterThanOrEqual(32);
    // Only the ingress is published.
    expect(doc.services.dataplane!.ports).toEqual(['3100:3100']);
    expect(doc.services.postgres!.ports).toBeUndefined();
    expect(doc.services.redis!.ports).toBeUndefined();
    expect(compose).toContain('# Orvanta on-prem data plane dp_01ONPREM on one host');
  });

  it('helm: helm upgrade --install of the chart, the token as one shell word', () => {
    const { helm } = installInstructions({ ...base, enrollmentToken: NASTY });
    expect(helm).toContain('helm upgrade --install dataplane infra/helm/orvanta-dataplane \\');
    expect(helm).toContain('--namespace orvanta-dp-01onprem --create-namespace');
    expect(helm).toContain('--set-string controlPlaneUrl=https://app.orvanta.example');
    expect(helm).toContain('--set-string image.reference=ghcr.io/orvanta/dataplane:0.1.0');
    expect(helm).toContain('--set postgresql.enabled=true');
    const tokenLine = helm.split('\n').find((l) => l.includes('secrets.enrollmentToken'))!;
    const word = tokenLine.trim().replace(/^--set-string /, '').replace(/ \\$/, '');
    // The shell passes helm exactly this; helm then unescapes \, and \\.
    expect(shellWord(word)).toBe(`secrets.enrollmentToken=${NASTY.replaceAll('\\', '\\\\').replaceAll(',', '\\,')}`);
    expect(helm).not.toMatch(/\$\{|<[a-z-]+>|TODO/);
  });

  it('node: a command that needs DATABASE_URL and REDIS_URL, installs like the image and runs the program', () => {
    const { node } = installInstructions({ ...base, enrollmentToken: NASTY, publicUrl: 'http://10.0.0.5:8080' });
    expect(node).toContain('npm ci --workspace @orvanta/dataplane --include-workspace-root=false --omit=dev --ignore-scripts');
    expect(node).toContain('npx --yes prisma@7.10.1 generate --config prisma/dataplane/prisma.config.ts');
    expect(node).toContain('node services/dataplane/bin/orvanta-dataplane.mjs all');
    expect(node).toContain('PORT=8080');
    expect(node).not.toMatch(/<[a-z-]+>|TODO/);
    const tokenWord = /ENROLLMENT_TOKEN=(.*) \\$/m.exec(node)![1]!;
    expect(shellWord(tokenWord)).toBe(NASTY);
    // Without DATABASE_URL the command stops at once with a message naming it, before installing anything.
    const script = node.replace(/&& npm ci[\s\S]*$/, '&& echo INSTALLING');
    const run = (env: Record<string, string>) => {
      try {
        return execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } as unknown as NodeJS.ProcessEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        return `FAILED: ${(err as { stderr: string }).stderr}`;
      }
    };
    expect(run({})).toMatch(/FAILED: .*DATABASE_URL/);
    expect(run({ DATABASE_URL: 'postgresql://x/y' })).toMatch(/FAILED: .*REDIS_URL/);
    expect(run({ DATABASE_URL: 'postgresql://x/y', REDIS_URL: 'redis://r' })).toBe('INSTALLING\n');
  });

  it('the node command points at files that exist in this checkout', async () => {
    const { existsSync } = await import('node:fs');
    const root = new URL('../../../../', import.meta.url).pathname;
    for (const file of ['services/dataplane/bin/orvanta-dataplane.mjs', 'prisma/dataplane/prisma.config.ts', 'infra/helm/orvanta-dataplane/Chart.yaml', 'package-lock.json']) expect(existsSync(root + file), file).toBe(true);
  });

  it('quotes shell words', () => {
    expect(shellQuote('plain-token_1.2')).toBe('plain-token_1.2');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellWord(shellQuote("a'b\"c$d`e"))).toBe("a'b\"c$d`e");
  });

  it('refuses bad parameters', () => {
    expect(() => installInstructions({ ...base, controlPlaneUrl: 'app.orvanta.example' })).toThrow('controlPlaneUrl must be an http(s) URL');
    expect(() => installInstructions({ ...base, enrollmentToken: '' })).toThrow('enrollmentToken is required');
    expect(() => installInstructions({ ...base, dataPlaneId: 'dp 1; rm' })).toThrow('dataPlaneId');
  });
});
