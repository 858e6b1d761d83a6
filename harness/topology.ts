import type { DatasetSummary } from '../fixtures/index.ts';

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
  pid: number | null;
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
