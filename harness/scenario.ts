import { z } from 'zod';
import type { DatasetSummary } from '../fixtures/index.ts';
import type { UserConfig } from './config/schema.ts';
import type { Iteration } from './load/engine.ts';
import { executorSchema, type ExecutorInput } from './load/executors.ts';
import type { Topology } from './topology.ts';
import type { ThresholdInput } from './verdict/thresholds.ts';
import { RushhourError } from './errors.ts';

/** A server-side SLO: a PromQL expression evaluated by the stack's Prometheus at the end. */
export interface SloInput {
  name: string;
  /** PromQL; `$window` is replaced by the window as a range (`[95s]`-style, without brackets: `95s`). */
  query: string;
  operator: '<' | '<=' | '>' | '>=';
  target: number;
  /** The range `$window` stands for: a duration, or `run` (the whole workload). Default `run`. */
  window?: string;
  /** When the query returns no series: fail (default) or pass. */
  noData?: 'fail' | 'pass';
}

/** What the workload factory gets: the running stack's data, and where to send requests. */
export interface WorkloadContext {
  dataset: DatasetSummary | null;
  topology: Topology | null;
  /** The scenario's PRNG seed for its feeders. */
  seed: number;
}

export interface ScenarioDefinition {
  name: string;
  description: string;
  executor: ExecutorInput;
  /** Builds the iteration each VU runs (a journey, or a weighted mix of them). */
  workload: (context: WorkloadContext) => Iteration;
  /** Needs the stack's dataset (ids, search points); false for `--target` scenarios. */
  needsStack?: boolean;
  thresholds?: Record<string, ThresholdInput[]>;
  slos?: SloInput[];
  /** Alert gate: `none` (default) fails the run if any alert fired; `ignore` skips the gate. */
  alerts?: 'none' | 'ignore';
  /** Overrides of the harness config for the stack this scenario boots. */
  stack?: UserConfig;
  /** How long in-flight iterations may finish after the plan (k6's gracefulStop). Default 30s. */
  gracefulStop?: string;
}

/** Typed helper for scenario files: returns its argument (k6's `options` with a type). */
export function defineScenario(scenario: ScenarioDefinition): ScenarioDefinition {
  return scenario;
}

const sloSchema = z.strictObject({
  name: z.string().min(1),
  query: z.string().min(1),
  operator: z.enum(['<', '<=', '>', '>=']),
  target: z.number(),
  window: z.string().optional(),
  noData: z.enum(['fail', 'pass']).optional(),
});

/** Validates a loaded scenario's shape (every problem listed); the workload is only checked to be a function. */
export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  description: z.string(),
  executor: executorSchema,
  workload: z.custom<ScenarioDefinition['workload']>((value) => typeof value === 'function', 'must be a function (context) => iteration'),
  needsStack: z.boolean().optional(),
  thresholds: z.record(z.string(), z.array(z.union([z.string(), z.strictObject({ threshold: z.string(), abortOnFail: z.boolean().optional(), delayAbortEval: z.string().optional() })]))).optional(),
  slos: z.array(sloSchema).optional(),
  alerts: z.enum(['none', 'ignore']).optional(),
  stack: z.record(z.string(), z.unknown()).optional(),
  gracefulStop: z.string().optional(),
});

/** A scenario file's default export, validated (every bad field listed, exit 2). */
export function validateScenario(exported: unknown, relative: string): ScenarioDefinition {
  const parsed = scenarioSchema.safeParse(exported);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${relative}: ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
    throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${relative}: ${details.length} invalid field(s)`, { details });
  }
  // The executor with its defaults filled (timeUnit, maxVUs...), the rest as written.
  return { ...(exported as ScenarioDefinition), executor: parsed.data.executor };
}
