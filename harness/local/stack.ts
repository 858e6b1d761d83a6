import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { seedDatabase, type DatasetSummary } from '../../fixtures/index.ts';
import { provisionReportingRole } from '../reporting-role.ts';
import { requireBinaries } from '../binaries.ts';
import type { ResolvedConfig } from '../config/schema.ts';
import { Lifecycle } from '../lifecycle.ts';
import { debug } from '../log.ts';
import { newRunId, runDirFor, writeOwner, type OwnerRecord } from '../owner.ts';
import { freePorts } from '../ports.ts';
import { processStartTime, runToCompletion } from '../process.ts';
import { gatewayEnv, gatewayUpstreams, planInstances, PROXIED_LINKS, serviceEnv, type ProxiedLink, type ScrapeTarget } from '../stack-plan.ts';
import { RushhourError } from '../errors.ts';
import type { ComponentInfo, InstanceLauncher, RunningStack, Topology } from '../topology.ts';
import type { LocalComponent } from './component.ts';
import { allSteps, bootControl, bootFailure, runningStack, type BootControl } from '../boot.ts';
import { controlsOver } from '../controls.ts';
import { logFile, remainingMs, type LocalContext } from './context.ts';
import { postgresUrl, startPostgresPrimary, startPostgresReplica } from './postgres.ts';
import { startFaultProxyComponent } from './fault-proxy.ts';
import { writeScrapeTargets } from '../scrape-targets.ts';
import { startPrometheus } from './prometheus.ts';
import { startRedis } from './redis.ts';
import { buildSut, migrationCommand, startService, type ServiceInstance } from './services.ts';

const log = debug('local');

/** This process's process group (Linux /proc; elsewhere assume we lead our own). */
function ownProcessGroup(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return process.pid;
  }
}

/**
 * Boots the whole stack as child processes on 127.0.0.1: PostgreSQL primary and streaming
 * replica, Redis, Prometheus, and the SUT (gateway, matching ×N, booking ×N); migrates and
 * seeds; returns once every component is ready. Whatever fails, everything already started
 * is stopped again before the error propagates.
 */
export async function bootLocalStack(config: ResolvedConfig, options: { signal?: AbortSignal } = {}): Promise<RunningStack> {
  const started = performance.now();
  const timings: Record<string, number> = {};
  const mark = (phase: string) => {
    timings[phase] = Math.round(performance.now() - started);
    log(`${phase} at ${timings[phase]} ms`);
  };
  const bins = requireBinaries(['postgres', 'initdb', 'pg_basebackup', 'redis-server', 'prometheus']);
  const runId = newRunId();
  const runDir = runDirFor(runId);
  mkdirSync(runDir, { recursive: true });
  // The postgres user must be able to reach its data dirs inside.
  chmodSync(runDir, 0o755);

  const lifecycle = new Lifecycle();
  log(`run dir ${runDir}`);
  // Retries: a server that has just exited may still be unlinking its own files.
  lifecycle.defer('remove run dir', async () => rmSync(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }));
  const owner: OwnerRecord = { runId, provider: 'local', ownerPid: process.pid, pgid: ownProcessGroup(), startedAt: new Date().toISOString(), cwd: process.cwd(), components: [] };
  writeOwner(runDir, owner);
  const components = new Map<string, LocalComponent>();
  // One controller for the boot: the first failed step or an interrupt aborts it, and every
  // step still in flight stops early instead of starting processes behind the teardown.
  const control = bootControl(options.signal);
  const ctx: BootContext = {
    runId,
    runDir,
    lifecycle,
    deadline: Date.now() + config.stack.bootTimeoutMs,
    signal: control.signal,
    abort: control.abort,
    components,
    track: (handle) => {
      // A restarted component replaces its old entry: the reaper needs the live pid.
      owner.components = owner.components.filter((entry) => entry.name !== handle.name);
      owner.components.push({ name: handle.name, pid: handle.pid, startTime: processStartTime(handle.pid) });
      writeOwner(runDir, owner);
    },
  };

  try {
    const { topology, instances } = await boot(ctx, config, bins, mark);
    mark('ready');
    return runningStack(topology, controlsOver(components), timings, lifecycle, instances);
  } catch (error) {
    control.abort(error);
    throw bootFailure(control, error, await lifecycle.teardown());
  }
}

type BootContext = LocalContext & BootControl;

async function boot(
  ctx: BootContext,
  config: ResolvedConfig,
  bins: { postgres: string; initdb: string; pg_basebackup: string; 'redis-server': string; prometheus: string },
  mark: (phase: string) => void,
): Promise<{ topology: Topology; instances: InstanceLauncher }> {
  const plan = planInstances(config);
  const ports = await freePorts(7 + PROXIED_LINKS.length + plan.backends.length);
  const [pgPrimary, pgReplica, redisPort, promPort, gatewayPort, adminPort, proxyApiPort] = ports.splice(0, 7);
  const viaProxy = new Map(PROXIED_LINKS.map((link) => [link, ports.shift()!] as const));
  const servicePorts = ports;
  const instances: ServiceInstance[] = plan.backends.map((instance, i) => ({ ...instance, port: servicePorts[i]! }));
  const gateway: ServiceInstance = { ...plan.gateway, port: gatewayPort! };
  const adminToken = randomBytes(24).toString('hex');
  // Clients outside the stack (migrations, seeding, tests, status) connect directly; the
  // services connect through the fault proxy, so every network fault acts on real traffic.
  const primaryUrl = postgresUrl(pgPrimary!);
  const replicaUrl = postgresUrl(pgReplica!);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const inside = (link: ProxiedLink) => (link.dependency === 'redis' ? `redis://127.0.0.1:${viaProxy.get(link)}` : postgresUrl(viaProxy.get(link)!));
  const upstreamPort = { 'postgres-primary': pgPrimary!, 'postgres-replica': pgReplica!, redis: redisPort! };
  const pgSettings = config.stack.postgres;
  const scrapeTargets: ScrapeTarget[] = [
    { job: 'gateway', instanceName: gateway.name, address: `127.0.0.1:${gateway.port}` },
    ...instances.map((instance) => ({ job: instance.group as 'matching' | 'booking', instanceName: instance.name, address: `127.0.0.1:${instance.port}` })),
  ];

  // Independent components boot in parallel; the database-dependent chain follows the primary.
  const [, primary, redis, prometheus, faultProxy] = await allSteps(ctx, [
    buildSut(ctx).then(() => mark('sut-built')),
    startPostgresPrimary(ctx, bins, pgPrimary!, pgSettings).then((handle) => (mark('postgres-primary'), handle)),
    startRedis(ctx, bins['redis-server'], redisPort!).then((handle) => (mark('redis'), handle)),
    startPrometheus(ctx, bins.prometheus, promPort!, scrapeTargets).then((handle) => (mark('prometheus'), handle)),
    startFaultProxyComponent(
      ctx,
      proxyApiPort!,
      PROXIED_LINKS.map((link) => ({ name: link.name, listenPort: viaProxy.get(link)!, upstreamPort: upstreamPort[link.dependency] })),
    ).then((handle) => (mark('fault-proxy'), handle)),
  ]);

  const migrate = migrationCommand();
  await runToCompletion({ name: 'migrate', ...migrate, env: { DATABASE_URL: primaryUrl }, logFile: logFile(ctx, 'migrate') }, remainingMs(ctx), ctx.signal);
  mark('migrated');

  const services = instances.map((instance) => ({ instance, component: startService(ctx, instance, serviceEnv(config, instance, inside)) }));
  const [replica, dataset] = await allSteps(ctx, [
    startPostgresReplica(ctx, bins, pgPrimary!, pgReplica!, pgSettings).then((handle) => (mark('postgres-replica'), handle)),
    seedDatabase(primaryUrl, config.fixtures).then(async (summary) => (await provisionReportingRole(primaryUrl, config.stack.postgres.reportingStatementTimeoutMs), mark('seeded'), summary)),
    Promise.all(services.map(({ component }) => component.waitReady(remainingMs(ctx), ctx.signal))).then(() => mark('services')),
  ]);

  const upstreams = gatewayUpstreams(instances, (instance) => `http://127.0.0.1:${(instance as ServiceInstance).port}`);
  const gatewayComponent = startService(ctx, gateway, { ...gatewayEnv(config), ADMIN_PORT: String(adminPort), ADMIN_TOKEN: adminToken, UPSTREAMS: JSON.stringify(upstreams) });
  await gatewayComponent.waitReady(remainingMs(ctx), ctx.signal);
  mark('gateway');

  const components: ComponentInfo[] = [
    { name: 'postgres-primary', kind: 'database', pid: primary.handle.pid, url: primaryUrl, healthy: true },
    { name: 'postgres-replica', kind: 'database', pid: replica.handle.pid, url: replicaUrl, healthy: true },
    { name: 'redis', kind: 'cache', pid: redis.handle.pid, url: redisUrl, healthy: true },
    { name: 'prometheus', kind: 'monitoring', pid: prometheus.handle.pid, url: `http://127.0.0.1:${promPort}`, healthy: true },
    { name: 'fault-proxy', kind: 'proxy', pid: faultProxy.handle.pid, url: `http://127.0.0.1:${proxyApiPort}`, healthy: true },
    ...services.map(({ instance, component }) => ({ name: instance.name, kind: 'service' as const, group: instance.group, pid: component.handle.pid, url: `http://127.0.0.1:${instance.port}`, version: instance.version, healthy: true })),
    { name: 'gateway', kind: 'service', group: 'gateway', pid: gatewayComponent.handle.pid, url: `http://127.0.0.1:${gateway.port}`, version: gateway.version, healthy: true },
  ];
  const launcher: InstanceLauncher = {
    async start(spec) {
      if (ctx.components.has(spec.name)) throw new RushhourError('RUSHHOUR_ERR_USAGE', `the stack already has a component named ${spec.name}`);
      const [port] = await freePorts(1);
      const instance: ServiceInstance = { name: spec.name, group: spec.group, version: spec.version, port: port! };
      const component = startService(ctx, instance, { ...serviceEnv(config, instance, inside), ...spec.env });
      try {
        await component.waitReady(60_000, ctx.signal);
      } catch (error) {
        await component.stop();
        ctx.components.delete(spec.name);
        throw error;
      }
      scrapeTargets.push({ job: spec.group, instanceName: spec.name, address: `127.0.0.1:${port}` });
      writeScrapeTargets(ctx, scrapeTargets);
      const url = `http://127.0.0.1:${port}`;
      let stopped: Promise<void> | null = null;
      return {
        name: spec.name,
        group: spec.group,
        version: spec.version,
        upstreamUrl: url,
        url,
        stop: () =>
          (stopped ??= (async () => {
            await component.stop();
            ctx.components.delete(spec.name);
            scrapeTargets.splice(scrapeTargets.findIndex((t) => t.instanceName === spec.name), 1);
            writeScrapeTargets(ctx, scrapeTargets);
          })()),
      };
    },
  };
  const topology: Topology = {
    provider: 'local',
    runId: ctx.runId,
    runDir: ctx.runDir,
    adminToken,
    webhookSecret: config.sut.webhookSecret,
    endpoints: {
      gateway: `http://127.0.0.1:${gateway.port}`,
      gatewayAdmin: `http://127.0.0.1:${adminPort}`,
      prometheus: `http://127.0.0.1:${promPort}`,
      postgresPrimary: primaryUrl,
      postgresReplica: replicaUrl,
      redis: redisUrl,
      faultProxy: `http://127.0.0.1:${proxyApiPort}`,
    },
    components,
    dataset: dataset as DatasetSummary,
  };
  return { topology, instances: launcher };
}
