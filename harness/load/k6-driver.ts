import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RushhourError } from '../errors.ts';
import type { ThresholdInput } from '../verdict/thresholds.ts';
import type { Plan } from './executors.ts';
import { parseK6Summary, type K6Summary } from './k6-summary.ts';

// The k6 driver: runs a built-in's k6 twin (scenarios/k6/<name>.ts) with k6 itself, when a k6
// binary is on PATH. The twin holds only the workload in k6's API; everything else (executor,
// thresholds, trend stats) is written here from the rushhour scenario, so the two cannot drift.

/** The statistics k6 puts in the summary: every percentile a threshold or the record reads. */
function trendStats(thresholds: Record<string, ThresholdInput[]>): string[] {
  const stats = new Set(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count']);
  for (const list of Object.values(thresholds)) {
    for (const entry of list) {
      const text = typeof entry === 'string' ? entry : entry.threshold;
      for (const match of text.matchAll(/p\(\s*([\d.]+)\s*\)/g)) stats.add(`p(${Number(match[1])})`);
    }
  }
  return [...stats];
}

const ms = (value: number) => `${Math.round(value)}ms`;

/**
 * A rushhour plan (already scaled) as a k6 scenario. k6 takes whole iterations per `timeUnit`:
 * a fractional per-second rate (1.5/s at --scale 0.1) is given per minute instead.
 */
export function k6Executor(plan: Plan): Record<string, unknown> {
  if (plan.model === 'closed') {
    if (plan.type === 'constant-vus') return { executor: 'constant-vus', vus: plan.maxVUs, duration: ms(plan.durationMs) };
    return { executor: 'ramping-vus', startVUs: plan.stages[0]!.from, stages: plan.stages.map((s) => ({ duration: ms(s.endMs - s.startMs), target: s.to })), gracefulRampDown: ms(plan.gracefulRampDownMs) };
  }
  const rates = plan.stages.flatMap((s) => [s.from, s.to]);
  const perMinute = rates.some((rate) => !Number.isInteger(rate));
  const unit = (rate: number) => Math.round(perMinute ? rate * 60 : rate);
  const common = { timeUnit: perMinute ? '1m' : '1s', preAllocatedVUs: plan.preAllocatedVUs, maxVUs: plan.maxVUs };
  if (plan.type === 'constant-arrival-rate') return { executor: 'constant-arrival-rate', rate: unit(plan.stages[0]!.from), duration: ms(plan.durationMs), ...common };
  return { executor: 'ramping-arrival-rate', startRate: unit(plan.stages[0]!.from), stages: plan.stages.map((s) => ({ duration: ms(s.endMs - s.startMs), target: unit(s.to) })), ...common };
}

/** The options file a twin reads (`twinOptions` in scenarios/k6/lib.ts). */
export function k6Options(plan: Plan, thresholds: Record<string, ThresholdInput[]>): Record<string, unknown> {
  return { scenarios: { default: k6Executor(plan) }, thresholds, summaryTrendStats: trendStats(thresholds) };
}

/** k6 on PATH, or null. */
export function findK6(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'k6');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

export interface K6Run {
  script: string;
  /** The run's directory: options.json, data.json, summary.json and k6.log go there. */
  dir: string;
  plan: Plan;
  thresholds: Record<string, ThresholdInput[]>;
  data: object;
  signal: AbortSignal;
}

/**
 * Runs the twin with k6 and returns its summary. Ctrl-C reaches k6 as SIGINT, which stops it
 * gracefully and still writes the summary. k6 exits 99 when a threshold failed: that is a
 * verdict, read from the summary, not an error of the run.
 */
export async function runK6(run: K6Run): Promise<{ summary: K6Summary; exitCode: number | null; durationMs: number }> {
  const k6 = findK6();
  if (!k6) throw new RushhourError('RUSHHOUR_ERR_K6_MISSING', 'k6 is not on PATH (--driver k6 runs the k6 twin with k6 itself)');
  const files = { options: path.join(run.dir, 'k6-options.json'), data: path.join(run.dir, 'k6-data.json'), summary: path.join(run.dir, 'k6-summary.json'), log: path.join(run.dir, 'k6.log') };
  writeFileSync(files.options, JSON.stringify(k6Options(run.plan, run.thresholds), null, 1));
  writeFileSync(files.data, JSON.stringify(run.data));
  const started = performance.now();
  const child = spawn(k6, ['run', '--no-color', '--quiet', '-e', `RUSHHOUR_OPTIONS=${files.options}`, '-e', `RUSHHOUR_DATA=${files.data}`, '-e', `RUSHHOUR_SUMMARY=${files.summary}`, run.script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => log.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => log.push(chunk));
  const stop = () => child.kill('SIGINT');
  run.signal.addEventListener('abort', stop, { once: true });
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  run.signal.removeEventListener('abort', stop);
  writeFileSync(files.log, Buffer.concat(log));
  if (!existsSync(files.summary)) {
    throw new RushhourError('RUSHHOUR_ERR_K6_SUMMARY_INVALID', `${files.summary}: k6 (exit ${exitCode}) wrote no summary; its output is in ${files.log}`);
  }
  return { summary: parseK6Summary(readFileSync(files.summary, 'utf8'), files.summary), exitCode, durationMs: performance.now() - started };
}
