import type { ComponentControls } from '../controls.ts';
import type { MetricRegistry } from '../metrics/registry.ts';
import type { PrometheusClient } from '../prometheus-client.ts';
import type { InstanceLauncher, Topology } from '../topology.ts';
import type { RunRecord, TimelineEvent, VerdictCheck } from './record.ts';

/**
 * What a chaos experiment (or a canary) adds to a load run, without the run knowing faults or
 * weights: it starts on the live stack before the load, acts once a second on the load's clock,
 * adds its checks before the verdict, and always cleans up (its rollbacks), on every exit path.
 */
export interface RunExtension {
  kind: 'chaos' | 'canary';
  /**
   * A canary's: the response header naming what served each request (the gateway's
   * `x-upstream-version`, or `x-feature-flag` for a flag's arm); the load client records it.
   */
  versionHeader?: string;
  /** Before the load (and its warm-up) starts. Throwing fails the run before any load. */
  start?(context: ExtensionStart): Promise<void>;
  /** Each second of the load, on its clock (second 1 = one second after t = 0). */
  onSecond?(second: number): void;
  /** After the load and before the verdict: checks of its own (and analysis written into `record`). */
  finish?(context: ExtensionFinish): Promise<VerdictCheck[]>;
  /** Always, last, even when the run threw or was interrupted. Resolves with problems met. */
  cleanup?(): Promise<string[]>;
}

export interface ExtensionStart {
  topology: Topology;
  /** The stack's controls when this run boots its own stack; null when it reuses one. */
  controls: ComponentControls | null;
  /** Starts extra service instances (a canary's candidate); null when the run reuses a stack. */
  instances: InstanceLauncher | null;
  metrics: MetricRegistry;
  /** The stack's Prometheus, for checks during the run (null without one). */
  prometheus: PrometheusClient | null;
  timeline(event: TimelineEvent): void;
  progress(line: string): void;
}

export interface ExtensionFinish {
  prometheus: PrometheusClient | null;
  /** The load's t = 0 on the wall clock, in seconds (what Prometheus times are in). */
  runStartSeconds: number;
  runSeconds: number;
  metrics: MetricRegistry;
  record: RunRecord;
}
