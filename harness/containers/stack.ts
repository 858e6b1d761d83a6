import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { seedDatabase, type DatasetSummary } from '../../fixtures/index.ts';
import { provisionReportingRole } from '../reporting-role.ts';
import type { ResolvedConfig } from '../config/schema.ts';
import { controlsOver } from '../controls.ts';
import { allSteps, bootControl, bootFailure, runningStack } from '../boot.ts';
import { populateFaultProxy } from '../fault-proxy-client.ts';
import { Lifecycle } from '../lifecycle.ts';
import { debug } from '../log.ts';
import { newRunId, runDirFor, writeOwner, type OwnerRecord } from '../owner.ts';
import { projectRoot, sutRoot } from '../paths.ts';
import { freePorts } from '../ports.ts';
import { processStartTime } from '../process.ts';
import { canQuery, createDatabase, isHttpOk, redisPing } from '../readiness.ts';
import { scrapeTargetsDir, writeScrapeTargets } from '../scrape-targets.ts';
import { gatewayEnv, gatewayUpstreams, instanceEnv, planInstances, postgresServerArgs, postgresUrlFor, PROXIED_LINKS, serviceEnv, type PlannedInstance, type ProxiedLink, type ScrapeTarget } from '../stack-plan.ts';
import { RushhourError } from '../errors.ts';
import type { ComponentInfo, InstanceLauncher, RunningStack, Topology } from '../topology.ts';
import { ContainerComponent, runOnce, type ContainerSpec } from './component.ts';
import { dockerClient, LABEL, ownerLabels, requireDocker } from './docker.ts';
import { resolveImages, type Progress } from './images.ts';

const log = debug('containers');

// Ports inside the stack's network: every container has its own address, so all services use
// the same port, and the fault proxy listens on one port per link it carries.
const PORT = { postgres: 5432, redis: 6379, prometheus: 9090, proxyApi: 8474, service: 8080, admin: 8081 } as const;
/** Where the fault proxy listens for each link inside the network: 15001, 15002, … in PROXIED_LINKS order. */
const viaProxyPort = (link: ProxiedLink) => 15_001 + PROXIED_LINKS.indexOf(link);
const UPSTREAM_PORT = { 'postgres-primary': 5432, 'postgres-replica': 5432, redis: 6379 } as const;

export interface ContainerBootOptions {
  signal?: AbortSignal;
  progress?: Progress;
}

/**
 * Boots the same topology as the local provider in containers on a private Docker network:
 * postgres primary + streaming replica, redis, prometheus, the fault proxy (every service's
 * link to postgres and redis passes through it), the SUT services; migrates, seeds, and
 * returns once every component is ready. Every container and the network carry the run's
 * labels, so a stack whose owner died is found and removed by the reaper.
 */
export async function bootContainerStack(config: ResolvedConfig, options: ContainerBootOptions = {}): Promise<RunningStack> {
  const progress = options.progress ?? (() => {});
  const started = performance.now();
  const timings: Record<string, number> = {};
  const mark = (phase: string) => {
    timings[phase] = Math.round(performance.now() - started);
    log(`${phase} at ${timings[phase]} ms`);
  };
  await requireDocker();
  const images = await resolveImages(config, progress);
  mark('images');
  options.signal?.throwIfAborted();

  const runId = newRunId();
  const runDir = runDirFor(runId);
  mkdirSync(path.join(runDir, 'logs'), { recursive: true });
  const owner: OwnerRecord = { runId, provider: 'containers', ownerPid: process.pid, pgid: process.pid, startedAt: new Date().toISOString(), cwd: process.cwd(), components: [] };
  writeOwner(runDir, owner);
  const labels = ownerLabels(runId, process.pid, processStartTime(process.pid));
  const lifecycle = new Lifecycle();
  lifecycle.defer('remove run dir', async () => rmSync(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }));
  const docker = await dockerClient();
  const networkName = `rushhour-${runId}`;
  // Registered before anything is created: a container that failed half way through creation
  // is still found by its label and removed.
  lifecycle.defer('remove network', async () => {
    const networks = await docker.listNetworks({ filters: { label: [`${LABEL.runId}=${runId}`] } });
    await Promise.all(networks.map((network) => docker.getNetwork(network.Id).remove()));
  });
  lifecycle.defer('remove containers', () => removeRunContainers(runId));

  const control = bootControl(options.signal);
  const deadline = Date.now() + config.stack.bootTimeoutMs;
  const remaining = () => Math.max(1_000, deadline - Date.now());
  const components = new Map<string, ContainerComponent>();
  const start = async (spec: ContainerSpec): Promise<ContainerComponent> => {
    control.signal.throwIfAborted();
    const component = await ContainerComponent.start(spec, { network: networkName, containerName: `${networkName}-${spec.name}`, labels, logFile: path.join(runDir, 'logs', `${spec.name}.log`) });
    components.set(spec.name, component);
    return component;
  };
  const startReady = async (spec: ContainerSpec) => {
    const component = await start(spec);
    await component.waitReady(remaining(), control.signal);
    mark(spec.name);
    return component;
  };

  try {
    await docker.createNetwork({ Name: networkName, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
    const plan = planInstances(config);
    const [primaryPort, replicaPort, redisPort, promPort, proxyApiPort, gatewayPort, adminPort, ...backendPorts] = await freePorts(7 + plan.backends.length);
    const hostPort = new Map(plan.backends.map((instance, i) => [instance.name, backendPorts[i]!]));
    const pgArgs = postgresServerArgs(config.stack.postgres, { port: PORT.postgres, address: '*' });
    const recipe = readFileSync(path.join(projectRoot, 'harness', 'containers', 'recipes', 'postgres.sh'));
    const postgresSpec = (role: 'primary' | 'replica', port: number, ready: () => Promise<boolean>, what: string): ContainerSpec => ({
      name: `postgres-${role}`,
      image: images.postgres,
      user: 'postgres',
      entrypoint: ['/bin/sh', '/usr/local/share/rushhour/postgres.sh'],
      command: [role, ...pgArgs],
      env: role === 'replica' ? { PRIMARY_HOST: 'postgres-primary', PRIMARY_PORT: String(PORT.postgres) } : {},
      files: [{ content: recipe, target: '/usr/local/share/rushhour/postgres.sh', mode: 0o755 }],
      ports: [{ container: PORT.postgres, host: port }],
      ready: { probe: ready, what },
    });
    const prometheusFiles = [
      { content: readFileSync(path.join(sutRoot, 'prometheus', 'prometheus.yml')), target: '/etc/rushhour/prometheus/prometheus.yml' },
      ...readdirSync(path.join(sutRoot, 'prometheus', 'rules')).map((file) => ({ content: readFileSync(path.join(sutRoot, 'prometheus', 'rules', file)), target: `/etc/rushhour/prometheus/rules/${file}` })),
    ];
    // Target lists live on the host, mounted into the container: an instance started later (a
    // canary) is added by rewriting them, and Prometheus picks the change up by itself.
    const scrapeTargets: ScrapeTarget[] = [
      { job: 'gateway', instanceName: 'gateway', address: `gateway:${PORT.service}` },
      ...plan.backends.map((instance) => ({ job: instance.group as 'matching' | 'booking', instanceName: instance.name, address: `${instance.name}:${PORT.service}` })),
    ];
    writeScrapeTargets({ runDir }, scrapeTargets);

    progress('starting containers...');
    await allSteps(control, [
      startReady(postgresSpec('primary', primaryPort!, () => canQuery(primaryPort!, 'postgres', 'SELECT true AS ok'), 'accepting connections')),
      startReady({
        name: 'redis',
        image: images.redis,
        user: 'nobody',
        entrypoint: ['redis-server'],
        command: ['--port', String(PORT.redis), '--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--dir', '/tmp', '--enable-debug-command', 'yes', '--loglevel', 'warning'],
        ports: [{ container: PORT.redis, host: redisPort! }],
        ready: { probe: () => redisPing(redisPort!), what: 'answering PING' },
      }),
      startReady({
        name: 'prometheus',
        image: images.prometheus,
        user: 'nobody',
        entrypoint: ['prometheus'],
        command: [
          '--config.file=/etc/rushhour/prometheus/prometheus.yml',
          '--storage.tsdb.path=/tmp/prometheus',
          `--web.listen-address=0.0.0.0:${PORT.prometheus}`,
          '--web.enable-lifecycle',
          '--storage.tsdb.retention.time=1d',
          '--log.level=warn',
        ],
        files: prometheusFiles,
        binds: [{ source: scrapeTargetsDir(runDir), target: '/etc/rushhour/prometheus/targets' }],
        ports: [{ container: PORT.prometheus, host: promPort! }],
        ready: { probe: () => isHttpOk(`http://127.0.0.1:${promPort}/-/ready`), what: 'ready' },
      }),
      // The same command starts the official Toxiproxy image and rushhour's offline one.
      startReady({
        name: 'fault-proxy',
        image: images.faultProxy,
        entrypoint: ['/toxiproxy'],
        command: ['-host=0.0.0.0', `-port=${PORT.proxyApi}`],
        ports: [{ container: PORT.proxyApi, host: proxyApiPort! }],
        ready: { probe: () => isHttpOk(`http://127.0.0.1:${proxyApiPort}/version`), what: 'serving its API' },
      }).then(async (component) => {
        await populateFaultProxy(
          `http://127.0.0.1:${proxyApiPort}`,
          PROXIED_LINKS.map((link) => ({ name: link.name, listen: `0.0.0.0:${viaProxyPort(link)}`, upstream: `${link.dependency}:${UPSTREAM_PORT[link.dependency]}` })),
        );
        return component;
      }),
    ]);

    const primaryUrl = postgresUrlFor('127.0.0.1', primaryPort!);
    await createDatabase(primaryPort!);
    await runOnce(
      { name: 'migrate', image: images.sut, command: ['migrate'], env: { DATABASE_URL: postgresUrlFor('postgres-primary', PORT.postgres) } },
      { network: networkName, containerName: `${networkName}-migrate`, labels, logFile: path.join(runDir, 'logs', 'migrate.log'), timeoutMs: remaining() },
    );
    mark('migrated');

    const inside = (link: ProxiedLink) => (link.dependency === 'redis' ? `redis://fault-proxy:${viaProxyPort(link)}` : postgresUrlFor('fault-proxy', viaProxyPort(link)));
    const serviceSpec = (instance: PlannedInstance, port: number, env: Record<string, string>): ContainerSpec => ({
      name: instance.name,
      image: images.sut,
      env: { ...env, ...instanceEnv(instance, PORT.service), HOST: '0.0.0.0' },
      ports: [{ container: PORT.service, host: port }, ...(instance.group === 'gateway' ? [{ container: PORT.admin, host: adminPort! }] : [])],
      ready: { probe: () => isHttpOk(`http://127.0.0.1:${port}/ready`), what: 'ready (/ready answered 200)' },
    });
    const [, dataset] = await allSteps(control, [
      startReady(postgresSpec('replica', replicaPort!, () => canQuery(replicaPort!, 'rushhour', 'SELECT pg_is_in_recovery() AS ok'), 'streaming as a hot standby')),
      seedDatabase(primaryUrl, config.fixtures).then(async (summary) => (await provisionReportingRole(primaryUrl, config.stack.postgres.reportingStatementTimeoutMs), mark('seeded'), summary)),
      Promise.all(plan.backends.map((instance) => startReady(serviceSpec(instance, hostPort.get(instance.name)!, serviceEnv(config, instance, inside))))),
    ]);

    const adminToken = randomBytes(24).toString('hex');
    const upstreams = gatewayUpstreams(plan.backends, (instance) => `http://${instance.name}:${PORT.service}`);
    await startReady(serviceSpec(plan.gateway, gatewayPort!, { ...gatewayEnv(config), ADMIN_PORT: String(PORT.admin), ADMIN_HOST: '0.0.0.0', ADMIN_TOKEN: adminToken, UPSTREAMS: JSON.stringify(upstreams) }));
    mark('ready');

    const url = (port: number) => `http://127.0.0.1:${port}`;
    const info = (name: string, kind: ComponentInfo['kind'], componentUrl: string, extra: Partial<ComponentInfo> = {}): ComponentInfo => ({
      name,
      kind,
      pid: null,
      containerId: components.get(name)!.id,
      url: componentUrl,
      healthy: true,
      ...extra,
    });
    const topology: Topology = {
      provider: 'containers',
      runId,
      runDir,
      adminToken,
      webhookSecret: config.sut.webhookSecret,
      endpoints: {
        gateway: url(gatewayPort!),
        gatewayAdmin: url(adminPort!),
        prometheus: url(promPort!),
        postgresPrimary: primaryUrl,
        postgresReplica: postgresUrlFor('127.0.0.1', replicaPort!),
        redis: `redis://127.0.0.1:${redisPort}`,
        faultProxy: url(proxyApiPort!),
      },
      components: [
        info('postgres-primary', 'database', primaryUrl),
        info('postgres-replica', 'database', postgresUrlFor('127.0.0.1', replicaPort!)),
        info('redis', 'cache', `redis://127.0.0.1:${redisPort}`),
        info('prometheus', 'monitoring', url(promPort!)),
        info('fault-proxy', 'proxy', url(proxyApiPort!)),
        ...plan.backends.map((instance) => info(instance.name, 'service', url(hostPort.get(instance.name)!), { group: instance.group, version: instance.version })),
        info('gateway', 'service', url(gatewayPort!), { group: 'gateway', version: plan.gateway.version }),
      ],
      dataset: dataset as DatasetSummary,
    };
    const instances: InstanceLauncher = {
      async start(spec) {
        if (components.has(spec.name)) throw new RushhourError('RUSHHOUR_ERR_USAGE', `the stack already has a component named ${spec.name}`);
        const [port] = await freePorts(1);
        const instance: PlannedInstance = { name: spec.name, group: spec.group, version: spec.version };
        const component = await start(serviceSpec(instance, port!, { ...serviceEnv(config, instance, inside), ...spec.env }));
        try {
          await component.waitReady(60_000, control.signal);
        } catch (error) {
          await component.stop().catch(() => {});
          components.delete(spec.name);
          throw error;
        }
        scrapeTargets.push({ job: spec.group, instanceName: spec.name, address: `${spec.name}:${PORT.service}` });
        writeScrapeTargets({ runDir }, scrapeTargets);
        let stopped: Promise<void> | null = null;
        return {
          name: spec.name,
          group: spec.group,
          version: spec.version,
          upstreamUrl: `http://${spec.name}:${PORT.service}`,
          url: url(port!),
          // Stopped, not removed: teardown removes every container of the run by its label.
          stop: () =>
            (stopped ??= (async () => {
              await component.stop();
              components.delete(spec.name);
              scrapeTargets.splice(scrapeTargets.findIndex((t) => t.instanceName === spec.name), 1);
              writeScrapeTargets({ runDir }, scrapeTargets);
            })()),
        };
      },
    };
    progress(`images: ${images.source} (${[...new Set([images.postgres, images.faultProxy, images.sut])].join(', ')})`);
    return runningStack(topology, controlsOver(components), timings, lifecycle, instances);
  } catch (error) {
    control.abort(error);
    throw bootFailure(control, error, await lifecycle.teardown());
  }
}

/** Force-removes every container of a run (running, paused or half-created), found by label. */
export async function removeRunContainers(runId: string): Promise<string[]> {
  const docker = await dockerClient();
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL.runId}=${runId}`] } });
  await Promise.all(found.map((container) => docker.getContainer(container.Id).remove({ force: true, v: true })));
  return found.map((container) => container.Names[0]?.replace(/^\//, '') ?? container.Id);
}
