import { z } from 'zod';
import { parseDuration } from '../duration.ts';

// k6's executors (lib/executor/*.go) with their field names and defaults. Durations are k6
// strings ('30s', '1m'); everything is resolved to milliseconds and scaled once, up front.

const duration = z.union([z.string(), z.number().nonnegative()]);
const stage = z.strictObject({ duration, target: z.number().int().nonnegative() });

export const executorSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('constant-vus'), vus: z.number().int().positive().default(1), duration }),
  z.strictObject({ type: z.literal('ramping-vus'), startVUs: z.number().int().nonnegative().default(1), stages: z.array(stage).min(1), gracefulRampDown: duration.default('30s') }),
  z.strictObject({
    type: z.literal('constant-arrival-rate'),
    rate: z.number().positive(),
    timeUnit: duration.default('1s'),
    duration,
    preAllocatedVUs: z.number().int().nonnegative(),
    maxVUs: z.number().int().positive().optional(),
  }),
  z.strictObject({
    type: z.literal('ramping-arrival-rate'),
    startRate: z.number().nonnegative().default(0),
    timeUnit: duration.default('1s'),
    stages: z.array(stage).min(1),
    preAllocatedVUs: z.number().int().nonnegative(),
    maxVUs: z.number().int().positive().optional(),
  }),
]);
export type ExecutorInput = z.input<typeof executorSchema>;
export type ExecutorConfig = z.output<typeof executorSchema>;

export interface Stage {
  /** Where this stage starts and ends, ms from the workload start. */
  startMs: number;
  endMs: number;
  /** VUs (closed model) or iterations per second (open model) at the start and end. */
  from: number;
  to: number;
}

/** An executor resolved to milliseconds and per-second rates, scaled, ready to run. */
export type Plan =
  | { model: 'closed'; type: 'constant-vus' | 'ramping-vus'; stages: Stage[]; durationMs: number; maxVUs: number; gracefulRampDownMs: number }
  | { model: 'open'; type: 'constant-arrival-rate' | 'ramping-arrival-rate'; stages: Stage[]; durationMs: number; preAllocatedVUs: number; maxVUs: number };

/**
 * Resolves an executor: durations to ms, rates to iterations per second, and `scale` applied
 * to durations and rates (and closed-model VU counts), never below one VU or one second.
 */
export function planExecutor(config: ExecutorConfig, scale: number, where: string): Plan {
  const ms = (value: string | number, field: string) => Math.max(1_000, parseDuration(value, `${where}.${field}`) * scale);
  const stagesOf = (stages: { duration: string | number; target: number }[], start: number, perSecond: (n: number) => number): Stage[] => {
    let at = 0;
    let from = start;
    return stages.map((s, i) => {
      const length = ms(s.duration, `stages[${i}].duration`);
      const result = { startMs: at, endMs: at + length, from: perSecond(from), to: perSecond(s.target) };
      at += length;
      from = s.target;
      return result;
    });
  };
  const vus = (n: number) => Math.max(n === 0 ? 0 : 1, Math.round(n * scale));
  switch (config.type) {
    case 'constant-vus': {
      const length = ms(config.duration, 'duration');
      return { model: 'closed', type: config.type, stages: [{ startMs: 0, endMs: length, from: vus(config.vus), to: vus(config.vus) }], durationMs: length, maxVUs: vus(config.vus), gracefulRampDownMs: 0 };
    }
    case 'ramping-vus': {
      const stages = stagesOf(config.stages, config.startVUs, vus);
      return { model: 'closed', type: config.type, stages, durationMs: stages.at(-1)!.endMs, maxVUs: Math.max(...stages.flatMap((s) => [s.from, s.to])), gracefulRampDownMs: parseDuration(config.gracefulRampDown, `${where}.gracefulRampDown`) };
    }
    case 'constant-arrival-rate': {
      const unit = parseDuration(config.timeUnit, `${where}.timeUnit`) / 1_000;
      const rate = (config.rate / unit) * scale;
      const length = ms(config.duration, 'duration');
      return { model: 'open', type: config.type, stages: [{ startMs: 0, endMs: length, from: rate, to: rate }], durationMs: length, preAllocatedVUs: config.preAllocatedVUs, maxVUs: config.maxVUs ?? config.preAllocatedVUs };
    }
    case 'ramping-arrival-rate': {
      const unit = parseDuration(config.timeUnit, `${where}.timeUnit`) / 1_000;
      const stages = stagesOf(config.stages, config.startRate, (n) => (n / unit) * scale);
      return { model: 'open', type: config.type, stages, durationMs: stages.at(-1)!.endMs, preAllocatedVUs: config.preAllocatedVUs, maxVUs: config.maxVUs ?? config.preAllocatedVUs };
    }
  }
}

/** The stage's value at `t` ms: linear between its start and end, as k6 interpolates. */
export function valueAt(stages: readonly Stage[], t: number): number {
  const stage = stages.find((s) => t < s.endMs) ?? stages.at(-1)!;
  const span = stage.endMs - stage.startMs;
  const progress = span === 0 ? 1 : Math.min(1, Math.max(0, (t - stage.startMs) / span));
  return stage.from + (stage.to - stage.from) * progress;
}

/**
 * The open model's send plan: the intended start of every iteration, in ms from the workload
 * start. Iteration n starts when the integral of the rate reaches n (n = 0, 1, ...: the first
 * at once, as k6 does); within a stage the rate is linear, so the count is quadratic in time
 * and each start is solved exactly, with no drift over a long run.
 */
export function* arrivals(stages: readonly Stage[]): Generator<number> {
  let n = 0;
  let before = 0;
  for (const stage of stages) {
    const length = (stage.endMs - stage.startMs) / 1_000;
    const a = stage.from;
    const slope = (stage.to - stage.from) / length;
    const total = a * length + (slope * length * length) / 2;
    while (n < before + total - 1e-9) {
      const need = n - before;
      const t = slope === 0 ? need / a : (-a + Math.sqrt(Math.max(0, a * a + 2 * slope * need))) / slope;
      if (!Number.isFinite(t)) break;
      yield stage.startMs + t * 1_000;
      n++;
    }
    before += total;
  }
}
