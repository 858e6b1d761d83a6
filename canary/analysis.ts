import type { CanaryAnalysisRecord } from '../harness/index.ts';
import type { CanaryAnalysis, ComparedMetric } from './canary.ts';
import type { SampleBook } from './samples.ts';
import { classifyMetric, scoreClassifications, scoreVerdict, type CanaryScore, type MetricClassification } from './stats/judge.ts';

// One analysis of a canary step, with Argo Rollouts' semantics: each candidate-only threshold
// and the baseline comparison are measurements; the analysis is the worst of them (Successful
// < Inconclusive < Failed); the rollout counts failed and inconclusive analyses against its
// limits. Where Argo pauses for a human on Inconclusive, an unattended rollout has nobody to
// wait for: past the limit it rolls back, and the journal says it was for want of evidence.

export type AnalysisPhase = 'successful' | 'inconclusive' | 'failed';

export type ThresholdMeasurement = CanaryAnalysisRecord['thresholds'][number];

/** The record's shape: what was measured, the phase, and why. */
export type AnalysisResult = CanaryAnalysisRecord & { comparison: { verdict: 'pass' | 'marginal' | 'fail'; score: CanaryScore; metrics: MetricClassification[] } | null };

const worse = (a: AnalysisPhase, b: AnalysisPhase): AnalysisPhase => {
  const order: AnalysisPhase[] = ['successful', 'inconclusive', 'failed'];
  return order[Math.max(order.indexOf(a), order.indexOf(b))]!;
};

/** Classifies every compared metric of the candidate against the baseline over [from, to). */
export function compareVersions(book: SampleBook, metrics: readonly ComparedMetric[], versions: { candidate: string; baseline: string }, window: { from: number; to: number }, minSamples: number): MetricClassification[] {
  return metrics.map((metric) => {
    const candidate = book.values(versions.candidate, metric.measure, window.from, window.to, metric.endpoint);
    const baseline = book.values(versions.baseline, metric.measure, window.from, window.to, metric.endpoint);
    const judged = classifyMetric(metric, candidate, baseline, { confidence: 0.98 });
    if (judged.classification !== 'nodata' && (candidate.length < minSamples || baseline.length < minSamples)) {
      return { ...judged, classification: 'nodata' as const, test: null, reason: `too few samples (candidate ${candidate.length}, baseline ${baseline.length}; ${minSamples} each needed)` };
    }
    return judged;
  });
}

/** The analysis's phase from its measurements, under the plan's no-data policy. */
export function judgeAnalysis(plan: CanaryAnalysis, window: { from: number; to: number }, thresholds: ThresholdMeasurement[], classifications: MetricClassification[] | null): AnalysisResult {
  const noData: AnalysisPhase = plan.noData === 'inconclusive' ? 'inconclusive' : 'failed';
  let phase: AnalysisPhase = 'successful';
  const reasons: string[] = [];
  for (const t of thresholds) {
    if (t.ok === null) {
      phase = worse(phase, noData);
      reasons.push(`${t.name}: no data (${noData === 'failed' ? 'a failure' : 'inconclusive'} by the plan)`);
    } else if (!t.ok) {
      phase = worse(phase, 'failed');
      reasons.push(`${t.name}: ${t.observed} against ${t.target}`);
    }
  }
  let comparison: AnalysisResult['comparison'] = null;
  if (plan.comparison && classifications) {
    const score = scoreClassifications(classifications, plan.comparison.groupWeights);
    const verdict = scoreVerdict(score.score, plan.comparison.score);
    comparison = { verdict, score, metrics: classifications };
    const off = classifications.filter((c) => c.classification !== 'pass').map((c) => `${c.name} ${c.classification}`);
    if (score.zeroedBy && classifications.every((c) => c.classification === 'nodata' || c.classification === 'pass') && classifications.some((c) => c.classification === 'nodata')) {
      // Zeroed for want of data, not by evidence against the candidate: the no-data policy decides.
      phase = worse(phase, noData);
      reasons.push(`comparison: ${score.zeroedBy}`);
    } else if (verdict !== 'pass') {
      phase = worse(phase, verdict === 'fail' ? 'failed' : 'inconclusive');
      reasons.push(`comparison score ${score.score} (${verdict}; pass ≥ ${plan.comparison.score.pass}, marginal ≥ ${plan.comparison.score.marginal})${score.zeroedBy ? `: ${score.zeroedBy}` : off.length ? `: ${off.join(', ')}` : ''}`);
    }
  }
  return { phase, window, thresholds, comparison, reason: reasons.length ? reasons.join('; ') : 'every check held' };
}

/** Counts analyses against the plan's limits: Argo's failureLimit and inconclusiveLimit. */
export class RolloutLimits {
  failed = 0;
  inconclusive = 0;
  constructor(readonly plan: CanaryAnalysis) {}

  /** After an analysis: go on, or roll back (and why). */
  after(result: AnalysisResult): { rollback: false } | { rollback: true; reason: string } {
    if (result.phase === 'failed') this.failed++;
    if (result.phase === 'inconclusive') this.inconclusive++;
    const failureLimit = this.plan.failureLimit ?? 0;
    const inconclusiveLimit = this.plan.inconclusiveLimit ?? 0;
    if (this.failed > failureLimit) return { rollback: true, reason: `${this.failed} failed analysis(es), limit ${failureLimit}: ${result.reason}` };
    if (this.inconclusive > inconclusiveLimit) return { rollback: true, reason: `${this.inconclusive} inconclusive analysis(es), limit ${inconclusiveLimit} (no human to ask in an unattended rollout): ${result.reason}` };
    return { rollback: false };
  }
}
