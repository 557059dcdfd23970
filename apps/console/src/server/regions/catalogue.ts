import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * The shared regions, declared as code: one YAML or JSON file per region in `regions/`
 * (or the directory REGIONS_DIR names), validated against `regionSchema` — published as
 * `regions/region.schema.json` — and loaded once at start-up. A region is where data
 * planes work and data stays; tenants choose theirs with a region policy.
 */

export const REGION_ID = /^[a-z][a-z0-9-]{1,62}$/;
/** Not a region of the catalogue: a tenant's own on-prem data planes, as named in a region policy. */
export const ONPREM = 'onprem';

export const regionSchema = z
  .strictObject({
    id: z.string().regex(REGION_ID, 'must be lowercase letters, digits and dashes, starting with a letter (e.g. eu-west)').refine((id) => id !== ONPREM, `"${ONPREM}" is reserved for on-prem data planes`).describe('Stable identifier, used in region policies and by data planes.'),
    name: z.string().min(1).max(100).describe('Display name.'),
    jurisdiction: z.string().regex(/^[A-Z]{2,8}$/, 'must be an upper-case code such as EU, US or UK').describe('Legal area the data stays in (EU, US, UK, …): policies like "EU only" are written against it.'),
    endpoint: z.url().describe("Public endpoint of the region's data-plane ingress (webhooks, run data)."),
    capacity: z
      .strictObject({
        tenants: z.int().positive().describe('Tenants the region accepts as their home.'),
        workers: z.int().positive().describe('Worker processes the region runs.'),
      })
      .describe('What the region is sized for.'),
  })
  .describe('A shared Orvanta region.');

export type Region = z.infer<typeof regionSchema>;

/** The JSON Schema of a region file (written to regions/region.schema.json; a test keeps them equal). */
export function regionJsonSchema(): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://orvanta.dev/schemas/region.json', ...z.toJSONSchema(regionSchema, { target: 'draft-2020-12' }) };
}

export class RegionCatalogueError extends Error {}

/** Reads and validates every region file of a directory. Throws one message listing every problem, by file and field. */
export function loadRegions(dir: string): Region[] {
  if (!existsSync(dir)) throw new RegionCatalogueError(`The regions directory ${dir} does not exist: set REGIONS_DIR to the directory holding the region files.`);
  const files = readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f) && !f.endsWith('.schema.json'))
    .sort();
  const problems: string[] = [];
  const regions: Region[] = [];
  for (const file of files) {
    const doc = parseDocument(readFileSync(path.join(dir, file), 'utf8'));
    if (doc.errors.length) {
      problems.push(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const parsed = regionSchema.safeParse(doc.toJS());
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(document)'}: ${i.message}`));
      continue;
    }
    const stem = file.replace(/\.(ya?ml|json)$/, '');
    if (stem !== parsed.data.id) problems.push(`${file}: id "${parsed.data.id}" must match the file name (${parsed.data.id}.yaml)`);
    else if (regions.some((r) => r.id === parsed.data.id)) problems.push(`${file}: region "${parsed.data.id}" is declared twice`);
    else regions.push(parsed.data);
  }
  if (problems.length) throw new RegionCatalogueError(`Invalid region files in ${dir}: ${problems.join('; ')}`);
  if (regions.length === 0) throw new RegionCatalogueError(`No region files in ${dir}: declare at least one shared region (see regions/README.md).`);
  return regions;
}

/** The regions directory: REGIONS_DIR, else the nearest `regions/` above the working directory. */
export function regionsDir(configured: string | undefined, from = process.cwd()): string {
  if (configured) return path.resolve(configured);
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'regions');
    if (existsSync(path.join(candidate, 'region.schema.json'))) return candidate;
    if (path.dirname(dir) === dir) return path.resolve(from, 'regions');
  }
}

export class RegionCatalogue {
  private readonly byId: Map<string, Region>;

  constructor(readonly regions: readonly Region[]) {
    this.byId = new Map(regions.map((r) => [r.id, r]));
  }

  get(id: string): Region | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }
}
