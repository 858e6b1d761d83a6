import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SeriesPoint } from '../metrics/registry.ts';
import type { InvariantResult, Operation, Outcome } from '../verdict/invariants.ts';

/** The run record's schema version: bumped on any incompatible change of `RunRecord`. */
export const RUN_RECORD_SCHEMA = 1;

export interface VerdictCheck {
  kind: 'threshold' | 'slo' | 'alert' | 'invariant';
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
  /** Set when the generator, not the SUT, may have been the bottleneck. */
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
  analysis: { breakpoint: BreakpointResult | null; recovery: RecoveryResult | null; drift: DriftResult | null };
  /** The warm-up before the measured run: kept, never judged. Null when the scenario has none. */
  warmup: { durationMs: number; rate: number; iterations: number; requests: number; failedRequests: number; p95Ms: number | null } | null;
  server: ServerSeries[];
  /** The writes the workload made, by outcome, and each invariant checked against the database; null when not asked. */
  invariants: { operations: Record<Operation['type'], Record<Outcome, number>>; results: InvariantResult[] } | null;
  generator: GeneratorHealth | null;
  verdict: { ok: boolean; exitCode: number; reasons: string[]; checks: VerdictCheck[] } | null;
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
