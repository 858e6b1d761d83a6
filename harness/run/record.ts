import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SeriesPoint } from '../metrics/registry.ts';

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
  /** Set when the generator, not the SUT, may have been the bottleneck. */
  warning: string | null;
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
  driver: 'rushhour-open-model' | 'rushhour-closed-model';
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
    endpoints: Record<string, { count: number; failed: number; avg: number; p50: number; p90: number; p95: number; p99: number; max: number }>;
    series: SeriesPoint[];
  };
  server: ServerSeries[];
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
