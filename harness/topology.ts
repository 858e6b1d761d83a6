import type { DatasetSummary } from '../fixtures/index.ts';
import type { ComponentControls } from './controls.ts';

export type Provider = 'local' | 'containers';

export interface Endpoints {
  /** The SUT's public entry point. */
  gateway: string;
  /** The gateway's admin port (upstream weights); bearer token `adminToken`. */
  gatewayAdmin: string;
  prometheus: string;
  postgresPrimary: string;
  postgresReplica: string;
  redis: string;
  /** The fault proxy's Toxiproxy API. Proxies: postgres-primary, postgres-replica, redis. */
  faultProxy: string;
}

export interface ComponentInfo {
  name: string;
  kind: 'database' | 'cache' | 'monitoring' | 'proxy' | 'service';
  /** For services: gateway, matching or booking. */
  group?: string;
  /** The process (local provider); null for containers. */
  pid: number | null;
  /** The container's id (containers provider). */
  containerId?: string;
  url?: string;
  version?: string;
  healthy: boolean;
}

/** What `environment.up` hands the rest of the spine: how to reach and control the stack. */
export interface Topology {
  provider: Provider;
  runId: string;
  /** Temp dir with every data dir and log of this stack (removed at teardown). */
  runDir: string;
  adminToken: string;
  webhookSecret: string;
  endpoints: Endpoints;
  components: ComponentInfo[];
  dataset: DatasetSummary;
}

/** A booted stack, whichever provider runs it. */
export interface RunningStack extends AsyncDisposable {
  readonly topology: Topology;
  /** Kill, stop, pause, resume or restart one component (chaos uses these). */
  readonly controls: ComponentControls;
  /** Phase timings of the boot, in ms (printed by the boot benchmark). */
  readonly timings: Readonly<Record<string, number>>;
  /** Tears the stack down; idempotent. Resolves with teardown failures (empty when clean). */
  stop(): Promise<string[]>;
}
