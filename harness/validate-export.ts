import type { z } from 'zod';
import { RushhourError } from './errors.ts';

/**
 * Checks what a scenario, experiment or canary file exports against its schema: every problem
 * listed at once, each as `file: field.path: problem`, under RUSHHOUR_ERR_SCENARIO_INVALID (exit 2).
 */
export function validateExport<S extends z.ZodType>(schema: S, value: unknown, source: string, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => `${source}: ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${source}: not a valid ${what} (${details.length} problem(s))`, { details });
}
