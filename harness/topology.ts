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

/** A service instance started beside the stack's own (a canary's candidate). */
export interface ExtraInstanceSpec {
  group: 'matching' | 'booking';
  /** Its component name (`matching-canary-1`): unique in the stack. */
  name: string;
  /** Its `version` label. */
  version: string;
  /** On top of the environment every instance of its group gets (a VARIANT, say). */
  env?: Record<string, string>;
}

export interface ExtraInstance {
  name: string;
  group: 'matching' | 'booking';
  version: string;
  /** Where the gateway reaches it (what an upstream member's `url` is). */
  upstreamUrl: string;
  /** Where this host reaches it. */
  url: string;
  /** Stops it and takes it out of Prometheus's targets; idempotent. */
  stop(): Promise<void>;
}

/** Starts extra instances in a running stack: ready, scraped by its Prometheus, controllable. */
export interface InstanceLauncher {
  start(spec: ExtraInstanceSpec): Promise<ExtraInstance>;
}

/** A booted stack, whichever provider runs it. */
export interface RunningStack extends AsyncDisposable {
  readonly topology: Topology;
  /** Kill, stop, pause, resume or restart one component (chaos uses these). */
  readonly controls: ComponentControls;
  /** Extra service instances beside the stack's own (canaries use these); stopped with the stack. */
  readonly instances: InstanceLauncher;
  /** Phase timings of the boot, in ms (printed by the boot benchmark). */
  readonly timings: Readonly<Record<string, number>>;
  /** Tears the stack down; idempotent. Resolves with teardown failures (empty when clean). */
  stop(): Promise<string[]>;
}
