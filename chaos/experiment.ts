import { z } from 'zod';
import { validateExport, type ScenarioDefinition, type SloInput } from '../harness/index.ts';
import { faultSchema, type FaultSpec } from './faults/index.ts';

// `defineExperiment`, after Chaos Toolkit's model: a steady-state hypothesis (tolerances before
// the fault, during it, and after it), a method (faults with a start offset and a duration, on
// top of a background load), rollbacks that always run, and a recovery criterion: the time
// until the system is back within its "before" tolerances, measured and bounded.

/** What a phase must stay within: the failed share of requests and their p95, overall or per endpoint. */
export interface Tolerance {
  /** Highest failed share of requests (0.01 = 1 %). */
  errorRate?: number;
  /** Highest p95, as a duration ("500ms"). */
  p95?: string;
  /** Highest p99: "hardly anybody waits longer than this", for failures that must be prompt. */
  p99?: string;
  /** Longest single request: "nobody is left hanging", where one stuck request is the failure. */
  max?: string;
  /** The same per endpoint (the `endpoint` tag of the workload's requests). */
  endpoints?: Record<string, { errorRate?: number; p95?: string; p99?: string; max?: string }>;
  /** Server-side SLOs over the phase, by the stack's Prometheus (`$window` = the phase's length). */
  slos?: SloInput[];
  /**
   * The primary database's own steady state, sampled each second by the harness from
   * pg_stat_activity: `longestStatement` bounds the age of the oldest statement running on it
   * ("5s"), as a DBA's long-running-query alert does.
   */
  database?: { longestStatement?: string };
}

export interface MethodStep {
  fault: FaultSpec;
  /** When the fault goes in, from the start of the load ("20s"). */
  at: string;
  /** How long it holds before its revert ("30s"). */
  for: string;
}

export interface ExperimentDefinition {
  name: string;
  description: string;
  /**
   * The background load: the workload of a built-in scenario (`scenario: 'mixed'`, resolved by
   * the CLI) or one of its own, at a rate. The experiment sizes the run itself (the phases
   * before, during and after the faults), so the load has no duration of its own.
   */
  load: {
    scenario?: string;
    workload?: NonNullable<ScenarioDefinition['workload']>;
    rate: number;
    /** `--scale` never takes the rate below this: for faults sized against the load (default 10/s). */
    minRate?: number;
    preAllocatedVUs?: number;
    maxVUs?: number;
  };
  method: MethodStep[];
  hypothesis: { before?: Tolerance; during?: Tolerance; after?: Tolerance };
  /** Alerts that must fire while the faults hold, and resolve once they are reverted. */
  alerts?: { fire: string[]; resolve?: boolean };
  /** After the last revert, back within the "before" tolerances within this ("10s"). */
  recovery: { within: string };
  /** How long the load runs after recovery, judged by `hypothesis.after` (default "15s"). */
  settle?: string;
  /** Check the Jepsen-style invariants of the run's writes afterwards (default true). */
  invariants?: boolean;
}

const limits = { errorRate: z.number().min(0).max(1).optional(), p95: z.string().optional(), p99: z.string().optional(), max: z.string().optional() };
const tolerance = z.strictObject({
  ...limits,
  endpoints: z.record(z.string(), z.strictObject(limits)).optional(),
  slos: z.array(z.strictObject({ name: z.string(), query: z.string(), operator: z.enum(['<', '<=', '>', '>=']), target: z.number(), window: z.string().optional(), noData: z.enum(['fail', 'pass']).optional() })).optional(),
  database: z.strictObject({ longestStatement: z.string().optional() }).optional(),
});

export const experimentSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  description: z.string(),
  load: z.strictObject({
    scenario: z.string().optional(),
    workload: z.custom<ExperimentDefinition['load']['workload']>((value) => typeof value === 'function', 'must be a function (context) => iteration').optional(),
    rate: z.number().positive().max(10_000),
    minRate: z.number().positive().max(10_000).optional(),
    preAllocatedVUs: z.number().int().positive().optional(),
    maxVUs: z.number().int().positive().optional(),
  }),
  method: z.array(z.strictObject({ fault: faultSchema, at: z.string(), for: z.string() })).min(1),
  hypothesis: z.strictObject({ before: tolerance.optional(), during: tolerance.optional(), after: tolerance.optional() }),
  alerts: z.strictObject({ fire: z.array(z.string().min(1)), resolve: z.boolean().optional() }).optional(),
  recovery: z.strictObject({ within: z.string() }),
  settle: z.string().optional(),
  invariants: z.boolean().optional(),
});

/** Types an experiment file's default export; validation happens when it is run. */
export function defineExperiment(experiment: ExperimentDefinition): ExperimentDefinition {
  return experiment;
}

/** Validates an experiment's shape (every problem listed, exit 2). */
export function validateExperiment(value: unknown, source: string): ExperimentDefinition {
  validateExport(experimentSchema, value, source, 'experiment');
  return value as ExperimentDefinition;
}
