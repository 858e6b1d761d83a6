import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { defineScenario, evaluateSlo, parseDuration, RushhourError, runScenario, type CanaryJournalEntry, type CanaryRecord, type ExtensionStart, type RunExtension, type RunOptions, type RunOutcome, type VerdictCheck } from '../harness/index.ts';
import { compareVersions, judgeAnalysis, RolloutLimits, type ThresholdMeasurement } from './analysis.ts';
import type { CanaryDefinition } from './canary.ts';
import { SampleBook } from './samples.ts';
import { rolloutTarget, type GatewayAdmin } from './targets.ts';

// Runs a canary plan as a run extension of its background load: the candidate starts beside the
// baseline before the load, the steps run on the load's clock (weights through the gateway's
// admin API, pauses, analyses), rollback triggers are watched every second, and whatever
// happens (promotion, rollback, an error, Ctrl-C) the candidate leaves the gateway and stops.

/** Pauses never shrink below this with `--scale`: an analysis needs samples of the candidate. */
const MIN_PAUSE_S = 20;
/**
 * Nor below the time the candidate needs, at its weight, to serve this many requests: at 10 %
 * of 30/s a 20 s pause gave it about 26 searches of the mixed load, and a busy CI machine once
 * had fewer than the 20 the comparison needs (no data: the rollout failed). 150 gives the
 * critical search latency some 67 (±8), and nearby some 22.
 */
const MIN_CANDIDATE_REQUESTS = 150;
/** Seconds an analysis is given before the next step (Prometheus scrapes every second). */
const ANALYSIS_S = 3;
const CI_MIN_RATE = 30;
/** Where a person drops a file to abort a rollout (besides Ctrl-C). */
export const abortFile = (cwd = process.cwd()) => path.join(cwd, '.rushhour', 'canary-abort');

type Scheduled = { at: number; step: number } & ({ kind: 'weight'; weight: number } | { kind: 'analysis'; from: number });

/** The plan's steps on the load's clock, at this scale. */
export function canarySchedule(canary: CanaryDefinition, scale: number, source: string): { steps: Scheduled[]; total: number } {
  const steps: Scheduled[] = [];
  const rate = loadRate(canary, scale);
  let cursor = 1;
  let windowFrom = 1;
  let weight = 0;
  canary.steps.forEach((step, i) => {
    if ('setWeight' in step) {
      weight = step.setWeight;
      steps.push({ at: cursor, step: i, kind: 'weight', weight: step.setWeight });
      // The switching second is not judged: requests of both weights are in it.
      windowFrom = cursor + 1;
      cursor += 1;
    } else if ('pause' in step) {
      const scaled = Math.round((parseDuration(step.pause, `${source}: steps[${i}].pause`) / 1_000) * scale);
      const enough = weight > 0 ? Math.ceil(MIN_CANDIDATE_REQUESTS / ((rate * weight) / 100)) : 0;
      // Only a scaled-down pause is stretched: at full scale the plan's own pause stands.
      cursor += scale < 1 ? Math.max(scaled, MIN_PAUSE_S, enough) : scaled;
    } else {
      steps.push({ at: cursor, step: i, kind: 'analysis', from: windowFrom });
      cursor += ANALYSIS_S;
    }
  });
  return { steps, total: cursor + 5 };
}

/** Iterations per second of the background load at this scale (never below its floor). */
const loadRate = (canary: CanaryDefinition, scale: number) => Math.max(canary.load.rate * scale, canary.load.minRate ?? CI_MIN_RATE);

export interface CanaryRunOptions extends Omit<RunOptions, 'scenario' | 'extension'> {
  canary: CanaryDefinition;
}

export async function runCanary(options: CanaryRunOptions): Promise<RunOutcome> {
  const { canary, source, scale } = options;
  if (!canary.load.workload) throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${source}: load: no workload (give one, or name a built-in scenario in load.scenario)`);
  const schedule = canarySchedule(canary, scale, source);
  const book = new SampleBook();
  const limits = new RolloutLimits(canary.analysis);
  const journal: CanaryJournalEntry[] = [];
  const target = rolloutTarget(canary, source);
  const triggers = canary.triggers ?? {};
  const triggerWindow = Math.round(parseDuration(triggers.window ?? '10s', `${source}: triggers.window`) / 1_000);
  const p95Limit = triggers.p95 ? parseDuration(triggers.p95, `${source}: triggers.p95`) : null;
  const pending = new Set<Promise<void>>();
  let ctx: ExtensionStart | null = null;
  let weight = 0;
  let weightSince = 0;
  let outcome: CanaryRecord['outcome'] = 'running';
  let reason = '';
  let lastSecond = 0;

  const admin: GatewayAdmin = async (method, route, body) => {
    const response = await fetch(`${ctx!.topology.endpoints.gatewayAdmin}${route}`, {
      method,
      headers: { authorization: `Bearer ${ctx!.topology.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (response.status >= 300) throw new RushhourError('RUSHHOUR_ERR_CANARY_FAILED', `gateway admin ${method} ${route} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const applyWeight = async (w: number) => {
    await target.setWeight(w);
    weight = w;
  };
  const track = (work: Promise<void>) => {
    const done = work.catch((error: Error) => void rollback(`error: ${error.message}`, lastSecond)).finally(() => pending.delete(done));
    pending.add(done);
  };

  let rollingBack: Promise<void> | null = null;
  /** Weight back to 0, the candidate out of the gateway and stopped (a flag off). Idempotent. */
  const rollback = (why: string, second: number) =>
    (rollingBack ??= (async () => {
      if (outcome === 'running') {
        outcome = 'rolled-back';
        reason = why;
        journal.push({ t: second, kind: 'rollback', weight, reason: why });
        ctx?.timeline({ t: second, kind: 'decision', label: `rolled back: ${why}` });
        ctx?.progress(`Canary rolled back at ${second} s: ${why}`);
      }
      await target.retire(false);
    })());

  const thresholdsNow = async (from: number, to: number): Promise<ThresholdMeasurement[]> => {
    const prometheus = ctx!.prometheus;
    const windowMs = Math.max(1, to - from) * 1_000;
    return Promise.all(
      (canary.analysis.thresholds ?? []).map(async (t) => {
        if (!prometheus) return { name: t.name, expression: t.query, target: `${t.operator} ${t.target}`, observed: null, ok: null };
        const check = await evaluateSlo({ ...t, query: target.query(t.query), window: `${Math.round(windowMs / 1_000)}s` }, prometheus, Date.now() / 1_000, windowMs);
        return { name: t.name, expression: check.expression, target: check.target, observed: check.observed, ok: check.observed === null ? (t.noData === 'pass' ? true : null) : check.ok };
      }),
    );
  };

  const analyse = async (step: number, from: number, to: number) => {
    const thresholds = await thresholdsNow(from, to);
    const comparison = canary.analysis.comparison;
    const classifications = comparison ? compareVersions(book, comparison.metrics, { candidate: target.candidateLabel, baseline: target.baselineLabel }, { from, to }, comparison.minSamples ?? 20) : null;
    const result = judgeAnalysis(canary.analysis, { from, to }, thresholds, classifications);
    const decision = limits.after(result);
    journal.push({ t: to, kind: 'analysis', step, weight, analysis: result, decision: decision.rollback ? 'rollback' : 'continue' });
    ctx!.timeline({ t: to, kind: 'decision', label: `analysis at ${weight} %: ${result.phase}${result.comparison ? `, score ${result.comparison.score.score}` : ''}` });
    ctx!.progress(`Analysis at ${weight} % (${from}–${to} s): ${result.phase} — ${result.reason}`);
    if (decision.rollback) await rollback(decision.reason, to);
  };

  const watchTriggers = (second: number) => {
    if (weight === 0 || second - weightSince < triggerWindow) return;
    const summary = book.summary(target.candidateLabel, second - triggerWindow, second);
    if (summary.requests < (triggers.minRequests ?? 10)) return;
    const errorRate = summary.failed / summary.requests;
    if (triggers.errorRate !== undefined && errorRate > triggers.errorRate) void rollback(`trigger: candidate error rate ${(errorRate * 100).toFixed(1)} % over the last ${triggerWindow} s (limit ${triggers.errorRate * 100} %)`, second);
    else if (p95Limit !== null && summary.p95 !== null && summary.p95 > p95Limit) void rollback(`trigger: candidate p95 ${summary.p95.toFixed(0)} ms over the last ${triggerWindow} s (limit ${p95Limit} ms)`, second);
    if (triggers.healthChecks !== false) {
      track(
        target.unhealthy().then((down) => {
          if (down.length) void rollback(`trigger: the gateway's health checks took ${down.join(', ')} out`, second);
        }),
      );
    }
    if (triggers.slos?.length && ctx!.prometheus && second % triggerWindow === 0) {
      const prometheus = ctx!.prometheus;
      track(
        (async () => {
          for (const slo of triggers.slos!) {
            const check = await evaluateSlo({ ...slo, query: target.query(slo.query), window: `${triggerWindow}s` }, prometheus, Date.now() / 1_000, triggerWindow * 1_000);
            if (!check.ok) return void rollback(`trigger: SLO ${slo.name} breached (${check.observed ?? 'no data'} against ${check.target})`, second);
          }
        })(),
      );
    }
  };

  const extension: RunExtension = {
    kind: 'canary',
    versionHeader: target.sampleHeader,
    async start(context) {
      ctx = context;
      context.metrics.observe((sample) => {
        if (sample.version !== undefined) book.record({ version: sample.version, endpoint: sample.endpoint, latencyMs: sample.latencyMs, failed: sample.failed, second: sample.startSecond });
      });
      if (existsSync(abortFile())) rmSync(abortFile());
      await target.start(context, admin);
      journal.push({ t: 0, kind: 'start', weight: 0, reason: target.startNote() });
    },
    onSecond(second) {
      lastSecond = second;
      if (outcome !== 'running') return;
      if (existsSync(abortFile())) {
        rmSync(abortFile(), { force: true });
        void rollback('manual abort (signal file)', second);
        return;
      }
      watchTriggers(second);
      for (const step of schedule.steps.filter((s) => s.at === second)) {
        if (step.kind === 'weight') {
          track(
            applyWeight(step.weight).then(() => {
              weightSince = second;
              journal.push({ t: second, kind: 'weight', step: step.step, weight: step.weight });
              ctx!.timeline({ t: second, kind: 'canary-weight', label: `candidate at ${step.weight} %` });
              ctx!.progress(`Canary weight ${step.weight} %.`);
            }),
          );
        } else {
          track(analyse(step.step, step.from, second));
        }
      }
      const last = schedule.steps.at(-1)!;
      if (second === last.at + ANALYSIS_S && outcome === 'running') {
        track(
          Promise.all([...pending]).then(() => {
            if (outcome !== 'running') return;
            if (weight < 100) return void rollback(`the plan ended at ${weight} %, never at 100 %`, second);
            outcome = 'promoted';
            reason = `every analysis passed; the candidate serves 100 %`;
            journal.push({ t: second, kind: 'promote', weight, reason });
            ctx!.timeline({ t: second, kind: 'decision', label: 'promoted' });
            ctx!.progress('Canary promoted: the candidate serves 100 %.');
          }),
        );
      }
    },
    async finish(context) {
      await Promise.all([...pending]);
      if (outcome === 'running') await rollback('the run ended before the plan did', lastSecond);
      const record: CanaryRecord = { service: canary.service, baseline: target.baselineLabel, candidate: target.describe(), expect: canary.expect ?? 'promote', outcome, reason, journal };
      context.record.canary = record;
      const expected = canary.expect ?? 'promote';
      const asExpected = (expected === 'promote' && outcome === 'promoted') || (expected === 'rollback' && outcome === 'rolled-back');
      const check: VerdictCheck = {
        kind: 'canary',
        name: expected === 'promote' ? 'canary promoted' : 'canary rolled back (as the plan expects)',
        expression: `outcome == ${expected === 'promote' ? 'promoted' : 'rolled-back'}`,
        target: expected === 'promote' ? 'promoted' : 'rolled-back',
        observed: outcome === 'promoted' ? 1 : 0,
        window: 'run',
        ok: asExpected,
        note: `${outcome}: ${reason}`,
      };
      return [check];
    },
    async cleanup() {
      await Promise.all([...pending]);
      if (outcome === 'running') {
        outcome = 'rolled-back';
        reason = reason || 'interrupted';
      }
      // Promoted or not, no candidate instance survives the run: the stack goes back to its
      // baseline. A flag stays where the rollout left it (on when promoted).
      await target.retire(outcome === 'promoted');
      return [];
    },
  };

  const scenario = defineScenario({
    name: canary.name,
    description: canary.description,
    executor: { type: 'constant-arrival-rate', rate: loadRate(canary, scale) / scale, duration: `${schedule.total / scale}s`, preAllocatedVUs: canary.load.preAllocatedVUs ?? 20, maxVUs: canary.load.maxVUs ?? 200 },
    workload: canary.load.workload!,
    warmup: { duration: '10s', rate: 10 },
    alerts: 'ignore',
    invariants: true,
  });
  return runScenario({ ...options, scenario, extension });
}
