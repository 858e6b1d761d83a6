import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import type { z } from 'zod';
import { RushhourError } from '../errors.ts';
import { configSchema, type ResolvedConfig, type UserConfig } from './schema.ts';

export const DEFAULT_CONFIG_FILE = 'harness.config.ts';

/** Identity helper: gives harness.config.ts type checking and completion. */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}

/** The defaults, resolved from an empty config. */
export const harnessDefaults: ResolvedConfig = resolveConfig({}, '<defaults>');

/**
 * Validates a user config once, reporting every problem at once with the file and the field
 * path, then freezes it so nothing later in the run can change it.
 */
export function resolveConfig(input: unknown, source: string): ResolvedConfig {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => describeIssue(source, issue));
    throw new RushhourError('RUSHHOUR_ERR_CONFIG_INVALID', `${source}: ${details.length} invalid field(s)`, { details });
  }
  return deepFreeze(parsed.data);
}

function describeIssue(source: string, issue: z.core.$ZodIssue): string {
  const at = issue.path.length ? issue.path.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${source}: ${at === '(root)' ? key : `${at}.${key}`}: unknown key`).join('\n  ');
  }
  return `${source}: ${at}: ${issue.message}`;
}

/**
 * Finds and imports the config file. An explicit path must exist; without one, a missing
 * harness.config.ts just means the defaults.
 */
export async function loadConfig(options: { cwd?: string; file?: string } = {}): Promise<{ config: ResolvedConfig; file: string | null }> {
  const cwd = options.cwd ?? process.cwd();
  const file = path.resolve(cwd, options.file ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (options.file) throw new RushhourError('RUSHHOUR_ERR_CONFIG_NOT_FOUND', `config file not found: ${file}`);
    return { config: harnessDefaults, file: null };
  }
  const relative = path.relative(cwd, file) || file;
  let exported: unknown;
  try {
    // tsImport loads the file as an ES module whatever the nearest package.json says, so a
    // config outside an ESM package (or a .ts beside a CommonJS one) still loads.
    const module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown };
    exported = module.default;
    // Outside an ESM package the file is compiled as CommonJS, and its default export arrives
    // wrapped once more ({ __esModule, default }).
    if (exported && typeof exported === 'object' && (exported as { __esModule?: boolean }).__esModule) exported = (exported as { default?: unknown }).default;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new RushhourError('RUSHHOUR_ERR_CONFIG_LOAD', `${relative}: could not be imported: ${reason}`, { cause });
  }
  if (exported === undefined) {
    throw new RushhourError('RUSHHOUR_ERR_CONFIG_LOAD', `${relative}: has no default export`);
  }
  return { config: resolveConfig(exported, relative), file };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
