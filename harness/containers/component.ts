import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import type { StartedTestContainer, WaitStrategy } from 'testcontainers';
import type { ComponentState } from '../controls.ts';
import { RushhourError } from '../errors.ts';
import { tailFile } from '../process.ts';
import { probeOnce } from '../readiness.ts';
import type { Readiness } from '../local/component.ts';
import { debug } from '../log.ts';
import { dockerClient, LABEL } from './docker.ts';

const log = debug('containers');

export interface ContainerSpec {
  /** Component name: also its network alias and the suffix of its container name. */
  name: string;
  image: string;
  entrypoint?: string[];
  command?: string[];
  user?: string;
  env?: Record<string, string>;
  files?: { content: string | Buffer; target: string; mode?: number }[];
  /** Host directories mounted read-only (files the harness keeps writing, such as scrape targets). */
  binds?: { source: string; target: string }[];
  /** Container ports published on the host's 127.0.0.1 only, at the given host ports. */
  ports?: { container: number; host: number }[];
  ready: Readiness;
}

/**
 * testcontainers' own readiness checks run inside the container (a shell, `nc` or `/proc`),
 * which the official Toxiproxy image (FROM scratch) does not have. Readiness is rushhour's
 * job, through the published port, the same probe the local provider uses.
 */
const startedIsEnough: WaitStrategy = {
  waitUntilReady: async () => {},
  withStartupTimeout() {
    return this;
  },
  isStartupTimeoutSet: () => true,
  getStartupTimeout: () => 60_000,
};

/**
 * One container of a stack, driven by the component controls. Data lives in the container's
 * own layer, so a killed or stopped container starts again with its data, as a crashed
 * server would; its host ports are fixed, so endpoints survive a restart.
 */
export class ContainerComponent {
  readonly name: string;
  readonly id: string;
  readonly logFile: string;
  #container: Dockerode.Container;
  #readiness: Readiness;

  private constructor(name: string, id: string, logFile: string, container: Dockerode.Container, readiness: Readiness) {
    this.name = name;
    this.id = id;
    this.logFile = logFile;
    this.#container = container;
    this.#readiness = readiness;
  }

  static async start(spec: ContainerSpec, options: { network: string; containerName: string; labels: Record<string, string>; logFile: string }): Promise<ContainerComponent> {
    const { GenericContainer } = await import('testcontainers');
    // PortBindings are protected in testcontainers; publishing on 127.0.0.1 (not 0.0.0.0) keeps
    // a trust-auth database off every other interface of the host.
    class LoopbackContainer extends GenericContainer {
      publishOnLoopback(ports: readonly { container: number; host: number }[]): this {
        if (ports.length === 0) return this;
        this.withExposedPorts(...ports);
        for (const port of ports) this.hostConfig.PortBindings![`${port.container}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: String(port.host) }];
        return this;
      }

      /**
       * Joins only the stack's private network, under the component's name. (testcontainers'
       * withNetworkAliases attaches to the default bridge first and connects afterwards.)
       */
      onNetworkAs(network: string, alias: string): this {
        this.withNetworkMode(network);
        this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: [alias] } } };
        return this;
      }
    }
    let container = new LoopbackContainer(spec.image)
      .withName(options.containerName)
      .withLabels({ ...options.labels, [LABEL.component]: spec.name })
      .onNetworkAs(options.network, spec.name)
      .withEnvironment(spec.env ?? {})
      .withWaitStrategy(startedIsEnough)
      .withLogConsumer((stream) => stream.pipe(createWriteStream(options.logFile, { flags: 'a' })))
      .publishOnLoopback(spec.ports ?? []);
    if (spec.entrypoint) container = container.withEntrypoint(spec.entrypoint);
    if (spec.command) container = container.withCommand(spec.command);
    if (spec.user) container = container.withUser(spec.user);
    if (spec.binds?.length) container = container.withBindMounts(spec.binds.map((bind) => ({ source: bind.source, target: bind.target, mode: 'ro' as const })));
    if (spec.files?.length) container = container.withCopyContentToContainer(spec.files.map((file) => ({ content: file.content, target: file.target, mode: file.mode ?? 0o644 })));
    const started: StartedTestContainer = await container.start();
    log(`${spec.name}: started ${started.getId().slice(0, 12)}`);
    const docker = await dockerClient();
    return new ContainerComponent(spec.name, started.getId(), options.logFile, docker.getContainer(started.getId()), spec.ready);
  }

  async state(): Promise<ComponentState> {
    const { State } = await this.#container.inspect();
    if (State.Paused) return 'paused';
    return State.Running ? 'running' : 'stopped';
  }

  /** Polls the readiness probe; fails fast, with the log tail, when the container exits. */
  async waitReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if ((await this.state()) === 'stopped') {
        const { State } = await this.#container.inspect();
        throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', `${this.name} (container) exited (${State.ExitCode}) before it was ${this.#readiness.what}`, {
          details: [`log: ${this.logFile}`, ...tailFile(this.logFile, 20)],
        });
      }
      if (await probeOnce(this.#readiness.probe)) return;
      log(`${this.name}: not ${this.#readiness.what} yet`);
      if (Date.now() > deadline) {
        throw new RushhourError('RUSHHOUR_ERR_COMPONENT_NOT_READY', `${this.name} (container) was not ${this.#readiness.what} within ${timeoutMs} ms`, {
          details: [`log: ${this.logFile}`, ...tailFile(this.logFile, 20)],
        });
      }
      await sleep(this.#readiness.intervalMs ?? 50);
    }
  }

  /** A crash: SIGKILL to the container's init, nothing cleaned up. */
  async kill(): Promise<void> {
    const state = await this.state();
    if (state === 'stopped') return;
    await this.#container.kill();
    await this.#container.wait();
  }

  /** docker stop: the image's stop signal, then SIGKILL after 10 s. */
  async stop(): Promise<void> {
    const state = await this.state();
    if (state === 'stopped') return;
    if (state === 'paused') await this.#container.unpause();
    await this.#container.stop({ t: 10 });
  }

  /** docker pause: every process frozen by the cgroup freezer; the published port still accepts. */
  async pause(): Promise<void> {
    if ((await this.state()) === 'running') await this.#container.pause();
  }

  async resume(): Promise<void> {
    if ((await this.state()) === 'paused') await this.#container.unpause();
  }

  /** Starts it again (after a kill or stop) or restarts it, then waits until ready. */
  async restart(timeoutMs = 30_000): Promise<void> {
    const state = await this.state();
    if (state === 'paused') await this.#container.unpause();
    if (state === 'stopped') await this.#container.start();
    else await this.#container.restart({ t: 10 });
    await this.waitReady(timeoutMs);
  }
}

/** Runs a one-shot container (a migration) to completion; rejects with its log tail unless it exits 0. */
export async function runOnce(spec: Omit<ContainerSpec, 'ready' | 'ports'>, options: { network: string; containerName: string; labels: Record<string, string>; logFile: string; timeoutMs: number }): Promise<void> {
  const component = await ContainerComponent.start({ ...spec, ready: { probe: async () => false, what: 'done' } }, options);
  const docker = await dockerClient();
  const container = docker.getContainer(component.id);
  const result = await Promise.race([container.wait() as Promise<{ StatusCode: number }>, sleep(options.timeoutMs, null)]);
  try {
    if (result === null) throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', `${spec.name} did not finish within ${options.timeoutMs} ms`, { details: tailFile(options.logFile, 20) });
    // Log lines arrive through a stream that may lag the exit by a moment.
    await sleep(100);
    if (result.StatusCode !== 0) {
      throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', `${spec.name} exited with ${result.StatusCode}`, { details: [`log: ${options.logFile}`, ...tailFile(options.logFile, 20)] });
    }
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}
