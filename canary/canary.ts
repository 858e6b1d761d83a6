import { z } from 'zod';
import { validateExport, type ScenarioDefinition, type SloInput } from '../harness/index.ts';

// `defineCanary`, after Argo Rollouts' canary strategy and Kayenta's judge: a candidate version
// of one service starts beside the baseline in the running stack; traffic moves to it in steps
// (setWeight, pause, analysis) under a background load; every analysis judges the candidate on
// its own metrics (thresholds, by the `version` label) and against the baseline (Mann–Whitney
// per metric, a Kayenta score); rollback triggers are watched every second. The end is
// promotion (the candidate takes 100 %) or rollback (weight back to 0, candidate stopped).
// A feature flag rolls out the same way: its "on" arm is the candidate, the gateway's flag
// percentage the weight, and the requests of each arm are compared.

export type CanaryStep = { setWeight: number } | { pause: string } | { analysis: true };

/**
 * A candidate-only check by the stack's Prometheus: `$version` is the candidate's version, `$window`
 * the analysis window; in a flag rollout `$flag` is the flag and `$arm` its candidate arm (`on`).
 */
export type CanaryThreshold = SloInput;

export interface ComparedMetric {
  name: string;
  /** What is compared, per request of the load: latency (ms) or failure (0/1), of one endpoint or all. */
  measure: 'latency' | 'errors';
  endpoint?: string;
  direction?: 'increase' | 'decrease' | 'either';
  critical?: boolean;
  mustHaveData?: boolean;
  /** Mean ratio the candidate may reach before a significant increase counts (1.2 = +20 %). */
  allowedIncrease?: number;
  group?: string;
}

export interface CanaryAnalysis {
  /** Candidate-only thresholds (Prometheus, filtered by version). */
  thresholds?: CanaryThreshold[];
  /** Candidate against baseline, per metric; scored 0–100. */
  comparison?: {
    metrics: ComparedMetric[];
    /** Score at or above `pass`: pass; at or above `marginal`: inconclusive; below: fail. */
    score: { pass: number; marginal: number };
    groupWeights?: Record<string, number>;
    /** Fewer samples than this per side is no data. Default 20. */
    minSamples?: number;
  };
  /** Failed analyses tolerated before rollback (Argo's failureLimit; default 0). */
  failureLimit?: number;
  /** Inconclusive analyses tolerated before rollback (default 0). */
  inconclusiveLimit?: number;
  /** What a check without data counts as (Flagger: a failure; default `fail`). */
  noData?: 'fail' | 'inconclusive';
}

export interface RollbackTriggers {
  /** Candidate's failed share over the last `window` (k6-style: 0.05 = 5 %). */
  errorRate?: number;
  /** Candidate's p95 over the last `window` ("500ms"). */
  p95?: string;
  /** The gateway's health checks mark a candidate instance down. */
  healthChecks?: boolean;
  /** Server-side SLOs (Prometheus) watched each `window`. */
  slos?: SloInput[];
  /** The sliding window the triggers look at (default "10s"). */
  window?: string;
  /** Too few candidate requests in the window to judge (default 10): triggers wait. */
  minRequests?: number;
}

export interface CanaryDefinition {
  name: string;
  description: string;
  service: 'matching' | 'booking';
  /**
   * What is rolled out: a candidate version of the service (instances started beside the
   * baseline), or, with `flag`, a per-endpoint feature flag of the running version, turned on
   * for a share of that endpoint's requests at the gateway. Exactly one of the two.
   */
  candidate?: {
    /** The candidate's `version` label (what its metrics and the gateway report). */
    version: string;
    /** A build variant of the SUT the candidate runs (e.g. `v2`, `v2-regressed`), passed as its VARIANT. */
    variant?: string;
    /** Extra environment for the candidate (e.g. the regressed variant's added latency). */
    env?: Record<string, string>;
    instances?: number;
  };
  /** A gateway feature flag (`read-routing.nearby`): its "on" arm is the candidate, "off" the baseline. */
  flag?: string;
  load: { scenario?: string; workload?: NonNullable<ScenarioDefinition['workload']>; rate: number; minRate?: number; preAllocatedVUs?: number; maxVUs?: number };
  steps: CanaryStep[];
  analysis: CanaryAnalysis;
  triggers?: RollbackTriggers;
  /**
   * The outcome this plan exists to show (default `promote`). `rollback` is for a candidate made
   * worse on purpose: the run passes (exit 0) when it is rolled back, and fails (99) if promoted.
   */
  expect?: 'promote' | 'rollback';
}

const duration = z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'a duration such as 30s');
const slo = z.strictObject({ name: z.string(), query: z.string(), operator: z.enum(['<', '<=', '>', '>=']), target: z.number(), window: z.string().optional(), noData: z.enum(['fail', 'pass']).optional() });

export const canarySchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    description: z.string(),
    service: z.enum(['matching', 'booking']),
    candidate: z
      .strictObject({
        version: z.string().min(1).max(64),
        variant: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).optional(),
        env: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an environment variable name'), z.string()).optional(),
        instances: z.number().int().min(1).max(4).optional(),
      })
      .optional(),
    flag: z.string().regex(/^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/, 'a flag name such as read-routing.nearby').optional(),
    load: z.strictObject({
      scenario: z.string().optional(),
      workload: z.custom<CanaryDefinition['load']['workload']>((value) => typeof value === 'function', 'must be a function (context) => iteration').optional(),
      rate: z.number().positive().max(10_000),
      minRate: z.number().positive().max(10_000).optional(),
      preAllocatedVUs: z.number().int().positive().optional(),
      maxVUs: z.number().int().positive().optional(),
    }),
    steps: z
      .array(z.union([z.strictObject({ setWeight: z.number().min(0).max(100) }), z.strictObject({ pause: duration }), z.strictObject({ analysis: z.literal(true) })]))
      .min(1),
    analysis: z.strictObject({
      thresholds: z.array(slo).optional(),
      comparison: z
        .strictObject({
          metrics: z
            .array(
              z.strictObject({
                name: z.string().min(1),
                measure: z.enum(['latency', 'errors']),
                endpoint: z.string().optional(),
                direction: z.enum(['increase', 'decrease', 'either']).optional(),
                critical: z.boolean().optional(),
                mustHaveData: z.boolean().optional(),
                allowedIncrease: z.number().min(1).optional(),
                group: z.string().optional(),
              }),
            )
            .min(1),
          score: z.strictObject({ pass: z.number().min(0).max(100), marginal: z.number().min(0).max(100) }).refine((s) => s.marginal <= s.pass, { message: 'marginal must not be above pass' }),
          groupWeights: z.record(z.string(), z.number().min(0).max(100)).optional(),
          minSamples: z.number().int().min(2).optional(),
        })
        .optional(),
      failureLimit: z.number().int().min(0).optional(),
      inconclusiveLimit: z.number().int().min(0).optional(),
      noData: z.enum(['fail', 'inconclusive']).optional(),
    }),
    triggers: z
      .strictObject({
        errorRate: z.number().min(0).max(1).optional(),
        p95: duration.optional(),
        healthChecks: z.boolean().optional(),
        slos: z.array(slo).optional(),
        window: duration.optional(),
        minRequests: z.number().int().min(1).optional(),
      })
      .optional(),
    expect: z.enum(['promote', 'rollback']).optional(),
  })
  .superRefine((canary, ctx) => {
    if (!canary.candidate === !canary.flag) ctx.addIssue({ code: 'custom', path: [canary.candidate ? 'flag' : 'candidate'], message: 'give a candidate version or a flag, exactly one: what is rolled out' });
    const weights = canary.steps.flatMap((step, i) => ('setWeight' in step ? [{ weight: step.setWeight, i }] : []));
    if (weights.length === 0) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'no setWeight step: the candidate would never get traffic' });
    for (let k = 1; k < weights.length; k++) {
      if (weights[k]!.weight < weights[k - 1]!.weight) ctx.addIssue({ code: 'custom', path: ['steps', weights[k]!.i, 'setWeight'], message: `weights only go up in a rollout (${weights[k - 1]!.weight} then ${weights[k]!.weight})` });
    }
    if (!canary.analysis.thresholds?.length && !canary.analysis.comparison) ctx.addIssue({ code: 'custom', path: ['analysis'], message: 'give thresholds, a comparison, or both: an analysis of nothing always passes' });
  });

/** Types a canary file's default export; validation happens when it is run. */
export function defineCanary(canary: CanaryDefinition): CanaryDefinition {
  return canary;
}

/** Validates a canary plan (every problem listed, exit 2). */
export function validateCanary(value: unknown, source: string): CanaryDefinition {
  validateExport(canarySchema, value, source, 'canary plan');
  return value as CanaryDefinition;
}
