// Loads Prisma's WebAssembly schema engine. The package's entry point does
// `import * as wasm from "./schema_engine_bg.wasm"`, which Node 20 cannot load without
// --experimental-wasm-modules, so we instantiate the .wasm ourselves against its JS glue.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

type Glue = typeof import('@prisma/schema-engine-wasm/schema_engine_bg') & {
  __wbg_set_wasm(exports: WebAssembly.Exports): void;
};

let loading: Promise<typeof SchemaEngine> | undefined;

/** The SchemaEngine class, with the wasm module instantiated once per process. */
export function loadSchemaEngine(): Promise<typeof SchemaEngine> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as Glue;
    const bytes = await readFile(join(dirname(gluePath), 'schema_engine_bg.wasm'));
    const imports: WebAssembly.ModuleImports = { ...(glue as unknown as WebAssembly.ModuleImports) };
    // The engine arms timers (e.g. its 10 s advisory-lock timeout) and never clears them;
    // unref them so a finished script can exit instead of idling until they fire.
    for (const name of Object.keys(imports).filter((n) => n.startsWith('__wbg_setTimeout_'))) {
      imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
    }
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue.SchemaEngine;
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
