import { z } from 'zod';
import type { DatasetSummary } from '../fixtures/index.ts';
import type { UserConfig } from './config/schema.ts';
import type { Iteration } from './load/engine.ts';
import type { History } from './verdict/invariants.ts';
import { executorSchema, type ExecutorInput } from './load/executors.ts';
import type { RequestTemplate } from './load/autocannon-driver.ts';

export const DRIVERS = ['rushhour', 'autocannon', 'k6'] as const;
export type Driver = (typeof DRIVERS)[number];
import type { Topology } from './topology.ts';
import type { ThresholdInput } from './verdict/thresholds.ts';
import { validateExport } from './validate-export.ts';
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
  /** Where the workload records its writes when the scenario checks invariants (else absent). */
  history?: History;
}

export interface ScenarioDefinition {
  name: string;
  description: string;
  executor: ExecutorInput;
  /** Builds the iteration each VU runs (a journey, or a weighted mix of them). */
  workload?: (context: WorkloadContext) => Iteration;
  /**
   * Instead of `workload`: a list of requests each VU (or autocannon connection) walks in
   * order, looping; the only workload the autocannon driver can run.
   */
  requests?: (context: WorkloadContext) => RequestTemplate[];
  /**
   * `rushhour` (default): the open- and closed-model driver on undici, latency from the intended
   * send. `autocannon`: maximum throughput of a closed model (`constant-vus` = connections,
   * `requests` only), latency from the actual send. `--driver` overrides it.
   */
  driver?: Driver;
  /**
   * Check Jepsen-style invariants after the run: the workload records every booking and payment
   * it makes (ok, fail or indeterminate), and the database is checked against that history
   * (no acknowledged booking missing, no route over capacity, no booking confirmed twice...).
   * A violation exits 100 naming the ids. Needs the stack and the rushhour driver on one thread.
   */
  invariants?: boolean;
  /**
   * The scenario's k6 twin, for `--driver k6`: the script (its workload in k6's API; options
   * come from this scenario) and the data it reads (feeder samples, the stack's address).
   */
  k6?: { script: string; data: (context: WorkloadContext) => object };
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
  /**
   * A warm-up before the measured run (autocannon's `-W`): the same workload at `rate`
   * iterations/s for `duration`, so connection pools, query plans and caches are warm when the
   * clock starts. Its results are kept in the record but judged by nothing. Not scaled by
   * `--scale`: warming a pool takes as long in a quick run as in a full one.
   */
  warmup?: { duration: string; rate: number };
  /**
   * A breakpoint search over the executor's plateaus (build them with `breakpointStages`): the
   * run stops at the first step whose error rate or p95 passes `stopAt` (default 10 %, 5 s),
   * and the knee (the highest rate with every SLO green) is reported; `kneeAtLeast` gates it.
   */
  breakpoint?: { stopAt?: { errorRate?: number; p95?: string }; kneeAtLeast?: number };
  /** A spike's recovery time after the peak, measured against the first plateau; `within` gates it. */
  recovery?: { within?: string; tolerance?: number; consecutiveSeconds?: number };
  /** A soak's drift: p95 of the last fifth against the first (a ratio), and each service's heap floor growth (MB). */
  drift?: { maxLatencyGrowth?: number; minLatencyGrowthMs?: number; maxHeapGrowthMB?: number };
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
  workload: z.custom<ScenarioDefinition['workload']>((value) => typeof value === 'function', 'must be a function (context) => iteration').optional(),
  requests: z.custom<ScenarioDefinition['requests']>((value) => typeof value === 'function', 'must be a function (context) => request templates').optional(),
  driver: z.enum(DRIVERS).optional(),
  invariants: z.boolean().optional(),
  k6: z.strictObject({ script: z.string(), data: z.custom<(context: WorkloadContext) => object>((value) => typeof value === 'function', 'must be a function (context) => data') }).optional(),
  needsStack: z.boolean().optional(),
  thresholds: z.record(z.string(), z.array(z.union([z.string(), z.strictObject({ threshold: z.string(), abortOnFail: z.boolean().optional(), delayAbortEval: z.string().optional() })]))).optional(),
  slos: z.array(sloSchema).optional(),
  alerts: z.enum(['none', 'ignore']).optional(),
  stack: z.record(z.string(), z.unknown()).optional(),
  gracefulStop: z.string().optional(),
  warmup: z.strictObject({ duration: z.string(), rate: z.number().positive().max(1_000) }).optional(),
  breakpoint: z
    .strictObject({
      stopAt: z.strictObject({ errorRate: z.number().min(0).max(1).optional(), p95: z.string().optional() }).optional(),
      kneeAtLeast: z.number().nonnegative().optional(),
    })
    .optional(),
  recovery: z.strictObject({ within: z.string().optional(), tolerance: z.number().min(1).optional(), consecutiveSeconds: z.number().int().min(1).max(60).optional() }).optional(),
  drift: z.strictObject({ maxLatencyGrowth: z.number().positive().optional(), minLatencyGrowthMs: z.number().nonnegative().optional(), maxHeapGrowthMB: z.number().optional() }).optional(),
}).superRefine((scenario, context) => {
  if (!scenario.workload && !scenario.requests) context.addIssue({ code: 'custom', path: ['workload'], message: 'a scenario needs a workload (context) => iteration, or requests (context) => request templates' });
  if (scenario.workload && scenario.requests) context.addIssue({ code: 'custom', path: ['requests'], message: 'give workload or requests, not both' });
});

/** A scenario file's default export, validated (every bad field listed, exit 2). */
export function validateScenario(exported: unknown, relative: string): ScenarioDefinition {
  const parsed = validateExport(scenarioSchema, exported, relative, 'scenario');
  // The executor with its defaults filled (timeUnit, maxVUs...), the rest as written.
  return { ...(exported as ScenarioDefinition), executor: parsed.executor };
}

/**
 * The driver a run uses (the flag, else the scenario's, else rushhour's own), checked against
 * the scenario: autocannon can only hold a fixed number of connections sending a request list.
 */
export function driverFor(scenario: ScenarioDefinition, flag: string | undefined, source: string): Driver {
  if (flag !== undefined && !(DRIVERS as readonly string[]).includes(flag)) {
    throw new RushhourError('RUSHHOUR_ERR_USAGE', `--driver must be one of ${DRIVERS.join(', ')}, not "${flag}"`);
  }
  const driver = (flag as Driver | undefined) ?? scenario.driver ?? 'rushhour';
  if (driver === 'autocannon') {
    const problems = [
      ...(scenario.executor.type === 'constant-vus' ? [] : [`executor.type: autocannon runs a fixed number of connections: use constant-vus, not ${scenario.executor.type}`]),
      ...(scenario.requests ? [] : ['requests: autocannon sends a list of requests: give requests (context) => templates, not a workload']),
      ...(scenario.breakpoint || scenario.recovery ? ['breakpoint/recovery: need an arrival-rate executor, which autocannon does not run'] : []),
    ];
    if (problems.length) throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${source}: cannot run with the autocannon driver`, { details: problems.map((problem) => `${source}: ${problem}`) });
  }
  if (driver === 'k6' && !scenario.k6) {
    throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${source}: cannot run with the k6 driver`, { details: [`${source}: k6: no k6 twin (k6: { script, data }) in this scenario`] });
  }
  return driver;
}

/** The iteration a rushhour VU runs: the workload, or one request of the list per iteration, in turn. */
export function iterationFor(scenario: ScenarioDefinition, context: WorkloadContext): Iteration {
  if (scenario.workload) return scenario.workload(context);
  const templates = scenario.requests!(context);
  let next = 0;
  return async (http) => {
    const template = templates[next++ % templates.length]!;
    await http.request(template.endpoint, template.method, template.path, { body: template.body, headers: template.headers, expect: template.expect });
  };
}
