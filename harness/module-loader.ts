import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { RushhourError, type ErrorCode } from './errors.ts';

/**
 * The default export of a user's TypeScript file (config, scenario). tsImport loads it as an
 * ES module whatever the nearest package.json says, so a file outside an ESM package (or a
 * .ts beside a CommonJS one) still loads. The price: a file that imports the harness gets its
 * own copy of it, so harness modules must not load, at import time, a dependency that breaks
 * when loaded twice (undici does: see load/engine.ts).
 */
export async function importDefault(file: string, relative: string, code: ErrorCode): Promise<unknown> {
  let exported: unknown;
  try {
    const module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown };
    exported = module.default;
    // Outside an ESM package the file is compiled as CommonJS, and its default export arrives
    // wrapped once more ({ __esModule, default }).
    if (exported && typeof exported === 'object' && (exported as { __esModule?: boolean }).__esModule) exported = (exported as { default?: unknown }).default;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new RushhourError(code, `${relative}: could not be imported: ${reason}`, { cause });
  }
  if (exported === undefined) throw new RushhourError(code, `${relative}: has no default export`);
  return exported;
}
