import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ParseArgsConfig } from 'node:util';
import {
  checkHealth,
  chooseProvider,
  buildOfflineImages,
  ensureDockerEngine,
  ExitCode,
  installDeps,
  isAlive,
  loadConfig,
  ownStack,
  probeStack,
  reapOrphans,
  importDefault,
  forgetFaultsOfGoneStacks,
  settleLeftoverFaults,
  readState,
  requireDocker,
  runScenario,
  validateScenario,
  type ScenarioDefinition,
  resolveImages,
  RushhourError,
  stateFile,
  type StackState,
  type Provider,
  type ResolvedConfig,
} from '../harness/index.ts';
import { ApiError, startFaultProxy, TOXIPROXY_API_VERSION } from '../chaos/proxy/index.ts';
import { reportCommand } from './report-command.ts';
import { chaosCommand } from './chaos-command.ts';
import { canaryCommand } from './canary-command.ts';
import { nightlyCommand } from './nightly-command.ts';
import { builtinCanaries, canaryGroups } from '../canary/plans/index.ts';
import { finishRun } from './finish-run.ts';
import { builtinExperiments, experimentGroups } from '../chaos/experiments/index.ts';
import { builtinScenarios } from '../scenarios/index.ts';
import { printEndpoints, printProbe, printStatus } from './output.ts';

export interface Command {
  summary: string;
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run: (values: Record<string, string | boolean | undefined>, positionals: string[]) => Promise<number>;
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const configOption = { config: { type: 'string' as const } };
const binScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'rushhour.mjs');

function liveState(): StackState | null {
  const state = readState();
  return state && isAlive(state.pid) ? state : null;
}

/** Messages the detached owner sends back to `up` over IPC. */
type OwnerMessage = { type: 'ready'; state: StackState } | { type: 'progress'; line: string } | { type: 'error'; code: string; message: string; details: string[]; hint: string; exitCode: number };

const up: Command = {
  summary: 'boot the stack, seed fixtures, print endpoints',
  help: 'rushhour up [--provider local|containers] [--attach] [--config FILE]\n  Boots the stack and leaves it running under a detached owner process (like `docker compose up -d`).\n  --attach stays in the foreground until Ctrl-C, then tears the stack down.',
  options: { ...configOption, provider: { type: 'string' }, attach: { type: 'boolean' } },
  async run(values) {
    const { config } = await loadConfig({ file: values.config as string | undefined });
    const provider = await chooseProvider(values.provider as string | undefined, config);
    await reapOrphans();
    const existing = liveState();
    reportLeftoverFaults(await settleLeftoverFaults(existing?.runId ?? null));
    if (existing) {
      out(`A stack is already up (owner pid ${existing.pid}, started ${existing.startedAt}).`);
      printEndpoints(existing);
      return ExitCode.passed;
    }
    if (values.attach) {
      out(`Booting the ${provider} stack in the foreground...`);
      return ownStack(config, provider, {
        onReady: (state) => {
          printEndpoints(state);
          out('Attached: Ctrl-C tears the stack down.');
        },
        onError: (error) => process.stderr.write(`${error.code}: ${error.message}\n${error.details.map((d) => `  ${d}`).join('\n')}\nhint: ${error.hint}\n`),
        onStopped: (failures) => out(failures.length ? `Stopped, with teardown problems:\n  ${failures.join('\n  ')}` : 'Stopped; nothing left running.'),
        onProgress: (line) => out(line),
      });
    }
    return upDetached(values.config as string | undefined, provider);
  },
};

async function upDetached(configFile: string | undefined, provider: string): Promise<number> {
  const logDir = path.dirname(stateFile());
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'owner.log');
  const log = openSync(logFile, 'a');
  const args = [binScript, '__own', '--provider', provider, ...(configFile ? ['--config', configFile] : [])];
  // detached: the owner leads its own process group and outlives this command; every
  // component it starts joins that group, which is what the reaper sweeps.
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log, 'ipc'] });
  out(`Booting the ${provider} stack (owner pid ${child.pid}; log ${path.relative(process.cwd(), logFile)})...`);
  const started = performance.now();
  const message = await new Promise<OwnerMessage | null>((resolve) => {
    child.on('message', (m: OwnerMessage) => (m.type === 'progress' ? out(m.line) : resolve(m)));
    child.once('exit', () => resolve(null));
    // Ctrl-C while booting: tell the owner to stop, and wait for it to unwind.
    process.once('SIGINT', () => child.kill('SIGTERM'));
  });
  if (message?.type === 'ready') {
    child.disconnect();
    child.unref();
    out(`Ready in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    printEndpoints(message.state);
    out('Stop it with `npx rushhour down`.');
    return ExitCode.passed;
  }
  if (message?.type === 'error') {
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
    throw new RushhourError(message.code as RushhourError['code'], message.message, { details: message.details, hint: message.hint });
  }
  throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', `the stack owner exited before the stack was ready`, { details: [`log: ${logFile}`] });
}

/** Hidden: the detached owner process that `up` starts. */
const own: Command = {
  summary: '',
  help: 'internal: owns a stack for `rushhour up`',
  options: { ...configOption, provider: { type: 'string' } },
  async run(values) {
    const { config } = await loadConfig({ file: values.config as string | undefined });
    const provider = await chooseProvider(values.provider as string | undefined, config);
    const send = (message: OwnerMessage) => new Promise<void>((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));
    return ownStack(config, provider, {
      onReady: (state) => {
        void send({ type: 'ready', state }).then(() => process.connected && process.disconnect());
        process.stdout.write(`${new Date().toISOString()} stack ${state.runId} ready\n`);
      },
      onError: (error) => {
        process.stderr.write(`${new Date().toISOString()} ${error.code}: ${error.message}\n${error.details.join('\n')}\n`);
        void send({ type: 'error', code: error.code, message: error.message, details: [...error.details], hint: error.hint, exitCode: error.exitCode });
      },
      onStopped: (failures) => process.stdout.write(`${new Date().toISOString()} stopped${failures.length ? `: ${failures.join('; ')}` : ''}\n`),
      onProgress: (line) => {
        process.stdout.write(`${new Date().toISOString()} ${line}\n`);
        void send({ type: 'progress', line });
      },
    });
  },
};

function reportLeftoverFaults(leftovers: { reverted: string[]; problems: string[]; forgotten: string[] }): void {
  if (leftovers.reverted.length) out(`Reverted faults a dead run left in force: ${leftovers.reverted.join(', ')}.`);
  for (const problem of leftovers.problems) out(`  could not revert: ${problem}`);
  if (leftovers.forgotten.length) out(`Forgot faults of a dead run whose stack is gone (they went with it): ${leftovers.forgotten.join(', ')}.`);
}

const down: Command = {
  summary: 'tear down this stack and reap orphans of dead runs',
  help: 'rushhour down\n  Stops the stack this directory started, then removes processes and temp dirs of any stack whose owner died.',
  options: {},
  async run() {
    const state = readState();
    if (state && isAlive(state.pid)) {
      // Faults first: a dead run's leftovers by their ledger entries, then every proxy reset.
      reportLeftoverFaults(await settleLeftoverFaults(state.runId));
      await fetch(`${state.endpoints.faultProxy}/reset`, { method: 'POST', signal: AbortSignal.timeout(5_000) }).catch(() => {});
      out(`Stopping stack ${state.runId} (owner pid ${state.pid})...`);
      process.kill(state.pid, 'SIGTERM');
      const deadline = Date.now() + 30_000;
      while (isAlive(state.pid) && Date.now() < deadline) await sleep(50);
      if (isAlive(state.pid)) {
        out('The owner did not stop within 30 s; killing it and reaping its components.');
        process.kill(state.pid, 'SIGKILL');
        await sleep(100);
      }
    } else if (!state) {
      out('No stack is up here.');
    }
    const report = await reapOrphans();
    // The stack is gone now: whatever a dead run left in it went with it.
    reportLeftoverFaults({ reverted: [], problems: [], forgotten: forgetFaultsOfGoneStacks(null) });
    if (report.stacks.length) out(`Reaped ${report.stacks.length} orphaned stack(s): ${report.stacks.join(', ')} (${report.processes.length} process(es), ${report.containers.length} container(s), ${report.networks.length} network(s)).`);
    out('Down: nothing left running.');
    return ExitCode.passed;
  },
};

const status: Command = {
  summary: 'components, health, endpoints',
  help: 'rushhour status [--json]',
  options: { json: { type: 'boolean' } },
  async run(values) {
    const state = readState();
    if (!state) {
      out(values.json ? JSON.stringify({ up: false }) : 'No stack is up. Start one with `npx rushhour up`.');
      return ExitCode.passed;
    }
    const ownerAlive = isAlive(state.pid);
    const health = await checkHealth(state.components);
    if (values.json) {
      out(JSON.stringify({ up: ownerAlive, ...state, adminToken: undefined, components: health }, null, 2));
      return ExitCode.passed;
    }
    printStatus(state, ownerAlive, health);
    return ExitCode.passed;
  },
};

const probe: Command = {
  summary: 'one request to each SUT endpoint through the gateway',
  help: 'rushhour probe\n  Sends one request to each endpoint of the running stack and checks each answer against the API contract.\n  Exit 99 when any answer is wrong.',
  options: {},
  async run() {
    const state = liveState();
    if (!state) throw new RushhourError('RUSHHOUR_ERR_STACK_NOT_UP', 'no stack is up here');
    const steps = await probeStack(state);
    printProbe(steps);
    const failed = steps.filter((step) => !step.ok);
    if (failed.length) throw new RushhourError('RUSHHOUR_ERR_PROBE_FAILED', `${failed.length} of ${steps.length} requests did not answer as the contract says`, { details: failed.map((s) => `${s.name}: ${s.note}`) });
    return ExitCode.passed;
  },
};

const installDepsCommand: Command = {
  summary: "install the local provider's binaries (apt), or say exactly what to install",
  help: "rushhour install-deps [--containers] [--reports] [--dry-run]\n  Installs PostgreSQL 15, Redis and Prometheus with apt when missing.\n  --containers also installs Debian's docker.io and debootstrap, and starts dockerd when no engine answers.\n  --reports also installs Debian's chromium and libxml2-utils, which the report tests use.",
  options: { 'dry-run': { type: 'boolean' }, containers: { type: 'boolean' }, reports: { type: 'boolean' } },
  async run(values) {
    const dryRun = Boolean(values['dry-run']);
    installDeps({ dryRun, containers: Boolean(values.containers), reports: Boolean(values.reports) });
    if (values.containers && !dryRun) {
      const engine = await ensureDockerEngine(out);
      out(`install-deps: Docker engine ${engine === 'started' ? 'started' : 'already running'}.`);
    }
    return ExitCode.passed;
  },
};

const images: Command = {
  summary: 'build every image the containers provider needs',
  help:
    "rushhour images build [--offline] [--force] [--config FILE]\n" +
    "  Without --offline: the configured images (official by default), pulled when missing, and the SUT's image on the node image.\n" +
    '  --offline: no registry. A Debian bookworm rootfs by debootstrap, PostgreSQL/Redis/Prometheus installed in a chroot,\n' +
    "  this machine's Node copied in, `docker import`; then the fault proxy's and the SUT's images on top. Needs root.\n" +
    '  Every image is tagged by a hash of its content and skipped when it exists (--force rebuilds).',
  options: { ...configOption, offline: { type: 'boolean' }, force: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals[0] !== 'build' || positionals.length !== 1) throw new RushhourError('RUSHHOUR_ERR_USAGE', 'usage: rushhour images build [--offline] [--force]');
    const { config } = await loadConfig({ file: values.config as string | undefined });
    await requireDocker();
    const started = performance.now();
    const built = values.offline
      ? await buildOfflineImages({ progress: out, force: Boolean(values.force) })
      : await resolveImages({ ...config, containers: { ...config.containers, imageSource: 'official' } }, out);
    out(`Images (${built.source}), ready in ${((performance.now() - started) / 1000).toFixed(1)} s:`);
    for (const component of ['postgres', 'redis', 'prometheus', 'faultProxy', 'sut'] as const) out(`  ${component.padEnd(11)} ${built[component]}`);
    return ExitCode.passed;
  },
};

const proxyCommand: Command = {
  summary: 'the fault proxy alone: a drop-in Toxiproxy server',
  help: 'rushhour proxy [--host localhost] [--port 8474] [--config proxies.json]\n  Serves the Toxiproxy HTTP API until Ctrl-C. --config takes a JSON array of proxies, applied like POST /populate.',
  options: { host: { type: 'string' }, port: { type: 'string' }, config: { type: 'string' } },
  async run(values) {
    const port = Number(values.port ?? 8474);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RushhourError('RUSHHOUR_ERR_USAGE', `--port must be an integer in 0..65535, not "${values.port}"`);
    let config: unknown[] | undefined;
    if (values.config) {
      const file = String(values.config);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        throw new RushhourError('RUSHHOUR_ERR_CONFIG_NOT_FOUND', `proxy config not found: ${file}`);
      }
      try {
        config = JSON.parse(text) as unknown[];
      } catch (cause) {
        throw new RushhourError('RUSHHOUR_ERR_CONFIG_INVALID', `${file}: not valid JSON (${(cause as Error).message})`, { cause });
      }
      if (!Array.isArray(config)) throw new RushhourError('RUSHHOUR_ERR_CONFIG_INVALID', `${file}: (root): expected a JSON array of proxies`);
    }
    let server;
    try {
      server = await startFaultProxy({ host: values.host as string | undefined, port, config });
    } catch (cause) {
      const message = (cause as Error).message;
      if (cause instanceof ApiError) throw new RushhourError('RUSHHOUR_ERR_CONFIG_INVALID', `${values.config}: ${message}`, { cause });
      throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', `the fault proxy could not listen: ${message}`, { cause });
    }
    out(`Fault proxy (Toxiproxy ${TOXIPROXY_API_VERSION} API) listening on ${server.url}; Ctrl-C to stop.`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    await server.close();
    out(`Stopped (${signal}); every proxy and connection closed.`);
    return ExitCode.passed;
  },
};

async function resolveScenario(nameOrFile: string): Promise<{ scenario: ScenarioDefinition; source: string; module: string }> {
  const builtin = builtinScenarios[nameOrFile];
  if (builtin) return { scenario: builtin, source: `scenarios/${nameOrFile}.ts`, module: fileURLToPath(new URL(`../scenarios/${nameOrFile}.ts`, import.meta.url)) };
  const file = path.resolve(nameOrFile);
  if (!/\.(ts|mts|js|mjs)$/.test(nameOrFile) || !existsSync(file)) {
    throw new RushhourError('RUSHHOUR_ERR_SCENARIO_NOT_FOUND', `no built-in scenario "${nameOrFile}" and no scenario file at ${nameOrFile}`, {
      details: [`built-in: ${Object.keys(builtinScenarios).join(', ')}`],
    });
  }
  const relative = path.relative(process.cwd(), file) || file;
  return { scenario: validateScenario(await importDefault(file, relative, 'RUSHHOUR_ERR_SCENARIO_INVALID'), relative), source: relative, module: file };
}

const runCommand: Command = {
  summary: 'run a load scenario: boot or reuse the stack, drive it, judge it, write runs/<id>/',
  help:
    'rushhour run <scenario|file.ts> [--scale N] [--provider local|containers] [--out DIR] [--target URL [--allow-remote-target]] [--driver rushhour|autocannon|k6] [--workers N] [--config FILE]\n' +
    '  Runs a built-in scenario (see `rushhour list`) or a scenario file. Reuses the stack that `up` left running here,\n' +
    '  else boots one and tears it down at the end. --scale shrinks durations and rates (0.1 = a tenth).\n' +
    '  --workers N spreads the rushhour driver over N worker threads when one core is not enough.\n' +
    '  Writes runs/<id>/run.json and junit.xml (runs/latest points at the newest); exit 0 passed, 99 a check failed.',
  options: { ...configOption, provider: { type: 'string' }, scale: { type: 'string' }, out: { type: 'string' }, target: { type: 'string' }, 'allow-remote-target': { type: 'boolean' }, driver: { type: 'string' }, workers: { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new RushhourError('RUSHHOUR_ERR_USAGE', 'usage: rushhour run <scenario|file.ts> [options]', { hint: `Built-in scenarios: ${Object.keys(builtinScenarios).join(', ')}.` });
    const scale = values.scale === undefined ? 1 : Number(values.scale);
    if (!(scale > 0 && scale <= 10)) throw new RushhourError('RUSHHOUR_ERR_USAGE', `--scale must be a number in (0, 10], not "${values.scale}"`);
    const { config } = await loadConfig({ file: values.config as string | undefined });
    const workers = values.workers === undefined ? 1 : Number(values.workers);
    if (!(Number.isInteger(workers) && workers >= 1 && workers <= 16)) throw new RushhourError('RUSHHOUR_ERR_USAGE', `--workers must be a whole number from 1 to 16, not "${values.workers}"`);
    const { scenario, source, module } = await resolveScenario(positionals[0]!);
    const target = values.target as string | undefined;
    const provider = target ? 'local' : await chooseProvider(values.provider as string | undefined, config);
    const interrupt = new AbortController();
    const onSignal = () => interrupt.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const outcome = await runScenario({
      scenario,
      source,
      config,
      provider,
      scale,
      runsDir: path.resolve((values.out as string | undefined) ?? 'runs'),
      target,
      allowRemoteTarget: Boolean(values['allow-remote-target']),
      driver: values.driver as string | undefined,
      workers,
      module,
      signal: interrupt.signal,
      progress: out,
    });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    return finishRun(outcome, scenario.name);
  },
};

/** The shared body of `chaos` and `canary`: parse --scale, load config, pick the provider, turn Ctrl-C into an abort. */
async function runSuite(values: Record<string, unknown>, positionals: string[], body: (options: { names: string[]; scale: number; provider: Provider; config: ResolvedConfig; runsDir: string; signal: AbortSignal; progress: (line: string) => void }) => Promise<number>): Promise<number> {
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!(scale > 0 && scale <= 10)) throw new RushhourError('RUSHHOUR_ERR_USAGE', `--scale must be a number in (0, 10], not "${values.scale}"`);
  const { config } = await loadConfig({ file: values.config as string | undefined });
  const provider = await chooseProvider(values.provider as string | undefined, config);
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body({ names: positionals, scale, provider, config, runsDir: path.resolve((values.out as string | undefined) ?? 'runs'), signal: interrupt.signal, progress: out });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const chaosCmd: Command = {
  summary: 'run chaos experiments: steady load, a fault injected and reverted, hypothesis, recovery, invariants',
  help:
    'rushhour chaos <experiment|group|file.ts>... [--scale N] [--provider local|containers] [--out DIR] [--config FILE]\n' +
    '  Runs each experiment in turn (see `rushhour list`; `all` is every built-in, `redis-failure` its three flavours).\n' +
    '  Boots a stack for each (crash and hang faults need the controls of a stack the run owns) unless one is up here.\n' +
    '  Every fault is reverted on every exit path, Ctrl-C included. Exit: the worst of the runs (0, 99, 100, ...).',
  options: { ...configOption, provider: { type: 'string' }, scale: { type: 'string' }, out: { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length === 0) throw new RushhourError('RUSHHOUR_ERR_USAGE', 'usage: rushhour chaos <experiment|group|file.ts>... [options]', { hint: `Built-in experiments: ${Object.keys(builtinExperiments).join(', ')}; groups: ${Object.keys(experimentGroups).join(', ')}.` });
    return runSuite(values, positionals, chaosCommand);
  },
};

const canaryCmd: Command = {
  summary: 'roll a candidate version out in weighted steps under load, judge it, promote or roll back',
  help:
    'rushhour canary <plan|group|file.ts>... [--scale N] [--provider local|containers] [--out DIR] [--config FILE]\n' +
    '  Runs each plan in turn (see `rushhour list`; `matching` is v2, promoted, and v2-regressed, rolled back) on a stack it boots.\n' +
    '  Steps set the candidate\'s weight at the gateway, pause, and analyse (candidate thresholds, Mann-Whitney against the baseline).\n' +
    '  Abort by Ctrl-C or by creating .rushhour/canary-abort. The candidate never outlives the run.\n' +
    '  Exit: 0 when each plan ended as it expects, 101 rolled back against the plan, 99 other checks; the worst of the runs.',
  options: { ...configOption, provider: { type: 'string' }, scale: { type: 'string' }, out: { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length === 0) throw new RushhourError('RUSHHOUR_ERR_USAGE', 'usage: rushhour canary <plan|group|file.ts>... [options]', { hint: `Built-in plans: ${Object.keys(builtinCanaries).join(', ')}; groups: ${Object.keys(canaryGroups).join(', ')}.` });
    return runSuite(values, positionals, canaryCommand);
  },
};

const nightlyCmd: Command = {
  summary: 'the nightly gate: a scaled ramp, every built-in chaos experiment and canary plan; one runs index, one JUnit',
  help:
    'rushhour nightly [--scale N] [--provider local|containers] [--out DIR] [--config FILE] [--no-retry] [--fail-on-flaky]\n' +
    '  Runs the ramp scenario, then `chaos all`, then `canary all`, each on a stack it boots, into DIR (default runs/nightly-<stamp>):\n' +
    "  each run's folder, index.html over them, one combined junit.xml, nightly.json and summary.md (for a CI job summary).\n" +
    '  A part that cannot run is an error in the JUnit, and the night goes on. Exit: the worst of the parts.\n' +
    '  A part whose checks failed (99) or whose canary went the other way (101) runs once more (not with --no-retry);\n' +
    '  passing only the second time makes it flaky: named as such everywhere, and a pass unless --fail-on-flaky.',
  options: { ...configOption, provider: { type: 'string' }, scale: { type: 'string' }, out: { type: 'string' }, 'no-retry': { type: 'boolean' }, 'fail-on-flaky': { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length) throw new RushhourError('RUSHHOUR_ERR_USAGE', 'usage: rushhour nightly [--scale N] [--provider local|containers] [--out DIR] [--no-retry] [--fail-on-flaky]');
    const up = liveState();
    // Crash faults and canary candidates need a stack the run owns; a night must not half-run on someone's stack.
    if (up) throw new RushhourError('RUSHHOUR_ERR_USAGE', `a stack is up here (owner pid ${up.pid}): the nightly boots a stack for each part`, { hint: 'Run `npx rushhour down` first.' });
    return runSuite({ ...values, out: undefined }, [], (options) => nightlyCommand({ ...options, out: (values.out as string | undefined) ?? null, runsRoot: options.runsDir, retry: values['no-retry'] !== true, failOnFlaky: values['fail-on-flaky'] === true }));
  },
};

const reportCmd: Command = {
  summary: "render a run's HTML report and Markdown summary, compare two runs, open the newest",
  help:
    'rushhour report [RUN_DIR] [--compare OTHER_RUN_DIR] [--markdown] [--fail-on-regression] [--open] [--out DIR]\n' +
    '  (Re)writes RUN_DIR/report.html and summary.md from its run.json (default: the newest run, runs/latest) and runs/index.html.\n' +
    '  --compare OTHER: OTHER is the baseline (say last night), RUN_DIR the run compared with it; writes RUN_DIR/compare-<OTHER id>.html and .md.\n' +
    '  --markdown prints the summary (or the comparison) as Markdown, for CI job summaries and pull-request comments.\n' +
    '  --fail-on-regression exits 99 when the comparison finds a regression. --open opens the report in $BROWSER or xdg-open.',
  options: { compare: { type: 'string' }, markdown: { type: 'boolean' }, 'fail-on-regression': { type: 'boolean' }, open: { type: 'boolean' }, out: { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length > 1) throw new RushhourError('RUSHHOUR_ERR_USAGE', 'usage: rushhour report [RUN_DIR] [--compare OTHER_RUN_DIR] [--markdown] [--open]');
    return reportCommand({
      runDir: positionals[0],
      compare: values.compare as string | undefined,
      open: Boolean(values.open),
      markdown: Boolean(values.markdown),
      failOnRegression: Boolean(values['fail-on-regression']),
      runsDir: path.resolve((values.out as string | undefined) ?? 'runs'),
    });
  },
};

const listCommand: Command = {
  summary: 'scenarios, experiments, plans',
  help: 'rushhour list\n  The built-in scenarios with their executors, the built-in chaos experiments and canary plans.',
  options: {},
  async run() {
    out('scenarios (rushhour run <name> [--scale 0.1]):');
    for (const scenario of Object.values(builtinScenarios)) out(`  ${scenario.name.padEnd(12)} ${scenario.executor.type.padEnd(22)} ${scenario.description}`);
    out('');
    out('experiments (rushhour chaos <name> [--scale 0.1]):');
    for (const experiment of Object.values(builtinExperiments)) out(`  ${experiment.name.padEnd(22)} ${experiment.description}`);
    out(`  groups: ${Object.entries(experimentGroups).map(([group, names]) => `${group} (${names.length})`).join(', ')}`);
    out('');
    out('canary plans (rushhour canary <name> [--scale 0.1]):');
    for (const plan of Object.values(builtinCanaries)) out(`  ${plan.name.padEnd(22)} ${plan.description}`);
    out(`  groups: ${Object.entries(canaryGroups).map(([group, names]) => `${group} (${names.length})`).join(', ')}`);
    return ExitCode.passed;
  },
};


export const commands: Record<string, Command> = {
  up,
  status,
  down,
  probe,
  'install-deps': installDepsCommand,
  run: runCommand,
  chaos: chaosCmd,
  canary: canaryCmd,
  nightly: nightlyCmd,
  report: reportCmd,
  list: listCommand,
  images,
  proxy: proxyCommand,
  __own: own,
};

export function usage(): string {
  const rows = Object.entries(commands)
    .filter(([name]) => !name.startsWith('__'))
    .map(([name, command]) => `  ${name.padEnd(14)} ${command.summary}`);
  return `rushhour: load, chaos and canary test harness\n\nUsage: npx rushhour <command> [options]\n\nCommands:\n${rows.join('\n')}\n\nGlobal options: --config FILE, --debug, --help\nExit codes: 0 passed, 1 harness bug, 2 usage/config, 3 environment, 99 thresholds, 100 invariant, 101 canary rolled back, 130 interrupted\n`;
}
