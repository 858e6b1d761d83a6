import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SeriesPoint } from '../metrics/registry.ts';
import type { InvariantResult, Operation, Outcome } from '../verdict/invariants.ts';

/** The run record's schema version: bumped on any incompatible change of `RunRecord`. */
export const RUN_RECORD_SCHEMA = 1;

export interface VerdictCheck {
  kind: 'threshold' | 'slo' | 'alert' | 'invariant' | 'canary';
  /** The selector (threshold), SLO name, alert gate or invariant. */
  name: string;
  expression: string;
  target: string;
  /** Null when there was no data. */
  observed: number | null;
  window: string;
  ok: boolean;
  note?: string;
}

export interface TimelineEvent {
  /** Seconds since the workload started. */
  t: number;
  kind: 'stage' | 'fault-injected' | 'fault-reverted' | 'canary-weight' | 'decision' | 'abort' | 'note';
  label: string;
}

export interface GeneratorHealth {
  /** Per second: CPU of the generator process as a share of one core (1 = one core busy). */
  cpu: { t: number; cores: number }[];
  eventLoopLagMsP99: number;
  eventLoopLagMsMax: number;
  cpuCoresMax: number;
  droppedIterations: number;
  /** Threads that sent the load (1: the main thread; more with --workers). CPU counts them all. */
  workers: number;
  /** The machine everything shared, as the generator saw it (absent in records from before it was measured). */
  host?: HostHealth | null;
  /** Set when the generator or the machine, not the SUT, may have been the bottleneck. */
  warning: string | null;
}

/** CPU steal and Linux stall pressure (PSI "some") per second, as shares of the second (0–100 %); null where /proc does not say. */
export interface HostHealth {
  series: { t: number; stealPct: number | null; ioPct: number | null; memoryPct: number | null }[];
  stealPctMean: number | null;
  stealPctMax: number | null;
  ioPctMean: number | null;
  ioPctMax: number | null;
  memoryPctMean: number | null;
  memoryPctMax: number | null;
  /** Stretches of seconds (3 or more) when one of them stayed at or over its mark (steal 50 %, I/O 50 %, memory 25 %). */
  stalls: { resource: string; fromSecond: number; toSecond: number; meanPct: number }[];
  /** Set when the machine stalled: whatever the SUT did in those seconds, the machine took time from it. */
  warning: string | null;
}

export interface BreakpointResult {
  stopAt: { errorRate: number; p95: string };
  steps: {
    rate: number;
    fromSecond: number;
    toSecond: number;
    requests: number;
    errorRate: number | null;
    p95Ms: number | null;
    slos: { name: string; observed: number | null; ok: boolean }[];
    /** Null when the step was not run (the search stopped before it). */
    green: boolean | null;
    note: string | null;
  }[];
  /** The highest rate (iterations/s) of the unbroken run of green steps; null when none was green. */
  knee: number | null;
  /** The first step that was not green. */
  brokeAt: number | null;
  stoppedBy: string | null;
  summary: string;
}

export interface RecoveryResult {
  baselineP95Ms: number | null;
  baselineErrorRatio: number | null;
  spikeEndSecond: number | null;
  recoveredAtSecond: number | null;
  /** Null when the run ended before it recovered. */
  recoverySeconds: number | null;
  criterion: string;
}

export interface DriftResult {
  latency: { firstP95Ms: number | null; lastP95Ms: number | null; ratio: number | null; firstWindow: string; lastWindow: string };
  /** Per SUT service instance: the heap floor (min heap in use) over the first and last fifth. */
  memory: { service: string; instance: string; heapFloorFirstMB: number; heapFloorLastMB: number; heapGrowthMB: number; rssMBAtEnd: number }[];
}

export interface ServerSeries {
  name: string;
  query: string;
  unit: string;
  points: { t: number; value: number }[];
}

export interface RunRecord {
  schema: typeof RUN_RECORD_SCHEMA;
  id: string;
  kind: 'load' | 'chaos' | 'canary';
  name: string;
  description: string;
  status: 'running' | 'finished' | 'aborted' | 'interrupted' | 'error';
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  git: { commit: string | null; dirty: boolean | null };
  provider: 'local' | 'containers' | 'target';
  target: string;
  /** Which driver measured: rushhour's own (open or closed model) or autocannon (closed, from the actual send). */
  driver: 'rushhour-open-model' | 'rushhour-closed-model' | 'autocannon' | 'k6';
  scale: number;
  tools: Record<string, string>;
  machine: { platform: string; arch: string; cpus: number; memoryMB: number; node: string; hostname: string };
  config: unknown;
  executor: unknown;
  timeline: TimelineEvent[];
  client: {
    iterations: number;
    dropped: number;
    iterationErrors: number;
    requests: number;
    failedRequests: number;
    maxVUsUsed: number;
    /** Per endpoint, over the whole run (ms). */
    endpoints: Record<string, { count: number; failed: number; avg: number; p50: number; p90: number; p95: number; p99: number; max: number; distribution?: { p: number; ms: number }[] }>;
    series: SeriesPoint[];
    /** Per second, every endpoint together (`endpoint: 'all'`). */
    overall: SeriesPoint[];
  };
  /** What the scenario measured beyond thresholds; each null when the scenario did not ask. */
  analysis: {
    breakpoint: BreakpointResult | null;
    recovery: RecoveryResult | null;
    drift: DriftResult | null;
    /** An experiment that bounds the primary's statements: each second's oldest running statement (ms) and how many ran. */
    database?: { target: 'postgres-primary'; seconds: { t: number; longestMs: number; active: number }[] };
  };
  /** The warm-up before the measured run: kept, never judged. Null when the scenario has none. */
  warmup: { durationMs: number; rate: number; iterations: number; requests: number; failedRequests: number; p95Ms: number | null } | null;
  server: ServerSeries[];
  /** The writes the workload made, by outcome, and each invariant checked against the database; null when not asked. */
  invariants: { operations: Record<Operation['type'], Record<Outcome, number>>; results: InvariantResult[] } | null;
  generator: GeneratorHealth | null;
  verdict: { ok: boolean; exitCode: number; reasons: string[]; checks: VerdictCheck[] } | null;
  /** A canary run's rollout: the decision journal and the outcome; absent on other runs. */
  canary?: CanaryRecord;
}

/** One canary analysis as the record keeps it (canary/analysis.ts produces it). */
export interface CanaryAnalysisRecord {
  phase: 'successful' | 'inconclusive' | 'failed';
  /** Seconds of the run the analysis covered, [from, to). */
  window: { from: number; to: number };
  thresholds: { name: string; expression: string; target: string; observed: number | null; ok: boolean | null }[];
  comparison: {
    verdict: 'pass' | 'marginal' | 'fail';
    score: { score: number; groups: { group: string; score: number; weight: number }[]; zeroedBy: string | null };
    metrics: {
      name: string;
      group: string;
      classification: 'pass' | 'high' | 'low' | 'nodata';
      critical: boolean;
      mustHaveData: boolean;
      ratio: number | null;
      test: { u: number; z: number; pValue: number; estimate: number; lower: number; upper: number; confidence: number; n: { experiment: number; control: number } } | null;
      reason: string;
    }[];
  } | null;
  reason: string;
}

/** One line of a canary's decision journal (seconds on the load's clock). */
export interface CanaryJournalEntry {
  t: number;
  kind: 'start' | 'weight' | 'analysis' | 'rollback' | 'promote';
  /** The candidate's share (%) at that moment. */
  weight: number;
  step?: number;
  analysis?: CanaryAnalysisRecord;
  decision?: 'continue' | 'rollback';
  reason?: string;
}

export interface CanaryRecord {
  service: string;
  baseline: string;
  /** A flag rollout's candidate is the flag's "on" arm: version `<flag>=on`, and `flag` set. */
  candidate: { version: string; variant: string | null; flag?: string };
  /** What the plan expects: a promotion, or (for a deliberately regressed candidate) a rollback. */
  expect: 'promote' | 'rollback';
  outcome: 'running' | 'promoted' | 'rolled-back';
  reason: string;
  journal: CanaryJournalEntry[];
}

/**
 * Writes `runs/<id>/run.json` atomically (temp file + rename), so a reader or an interrupted
 * run never sees half a file; called at the start, every few seconds, and at the end.
 */
export class RunRecordWriter {
  readonly dir: string;
  readonly file: string;

  constructor(runsDir: string, id: string) {
    this.dir = path.join(runsDir, id);
    this.file = path.join(this.dir, 'run.json');
    mkdirSync(this.dir, { recursive: true });
    // runs/latest → the newest run (relative, so the runs/ folder can be moved or archived).
    const latest = path.join(runsDir, 'latest');
    rmSync(latest, { force: true });
    try {
      symlinkSync(id, latest);
    } catch {
      // Filesystems without symlinks: the newest run is still the newest directory.
    }
  }

  write(record: RunRecord): void {
    writeFileSync(`${this.file}.tmp`, `${JSON.stringify(record, null, 1)}\n`);
    renameSync(`${this.file}.tmp`, this.file);
  }
}
