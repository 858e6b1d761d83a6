import { existsSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { RushhourError } from '../errors.ts';
import { importDefault } from '../module-loader.ts';
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
  const exported = await importDefault(file, relative, 'RUSHHOUR_ERR_CONFIG_LOAD');
  return { config: resolveConfig(exported, relative), file };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
