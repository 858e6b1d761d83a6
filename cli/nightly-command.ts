import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { asRushhourError, ExitCode, formatError, bottleneckCauses, runScenario, type Provider, type ResolvedConfig, type RunOutcome } from '../harness/index.ts';
import { builtinScenarios } from '../scenarios/index.ts';
import { renderNightlyJUnit, type NightlyPartResult } from '../reports/junit.ts';
import { renderNightlySummary } from '../reports/markdown.ts';
import { writeRunsIndex } from '../reports/write.ts';
import { resolvePlans } from './canary-command.ts';
import { resolveExperiments } from './chaos-command.ts';
import { runCanary } from '../canary/run-canary.ts';
import { runExperiment } from '../chaos/run-experiment.ts';
import { finishRun, worstExitCode } from './finish-run.ts';

// `rushhour nightly`: what a team gates its nights on. A scaled ramp, every built-in chaos
// experiment, every built-in canary plan, one after another, each on a stack it boots; their
// runs in one folder with one runs index, one combined JUnit file, nightly.json and a Markdown
// summary for the CI job page. A part that cannot run (its stack did not boot) is recorded as
// an error and the night goes on; the exit code is the worst of the parts. Ctrl-C stops the
// night: the running part is torn down as always, and the parts not run are listed as such.
//
// One retry, as Playwright and Surefire retry a failed test: a part whose checks failed (99) or
// whose canary ended the other way (101) runs once more, because on a shared 2-core VM a
// stalled second (the hypervisor's steal, the kernel paging a database's files back in) can
// fail a 15-second window that a healthy machine passes. A regression fails both runs; a part
// that passes only its second run is *flaky*: it passes the night (unless --fail-on-flaky)
// and says so in the summary, the JUnit and nightly.json, with the first run kept in the index
// and whatever the generator and the machine measured during it. Lost data (exit 100) and
// errors are never retried: a lost booking is never the machine's fault.

export interface NightlyOptions {
  scale: number;
  provider: Provider;
  config: ResolvedConfig;
  /** Where the night's runs go; `null`: a fresh runs/nightly-<stamp> under `runsRoot`. */
  out: string | null;
  runsRoot: string;
  signal: AbortSignal;
  progress: (line: string) => void;
  /** Run a part whose checks failed once more (default true). */
  retry?: boolean;
  /** A part that passed only its second run fails the night with its first run's exit code. */
  failOnFlaky?: boolean;
}

interface Part {
  kind: NightlyPartResult['kind'];
  name: string;
  run: (runsDir: string) => Promise<RunOutcome>;
}

/** The night, in the order it runs: the load first (a broken stack shows there cheapest), then chaos, then canaries. */
async function nightlyParts(options: NightlyOptions): Promise<Part[]> {
  const common = { config: options.config, provider: options.provider, scale: options.scale, signal: options.signal, progress: options.progress };
  const ramp = builtinScenarios.ramp!;
  const experiments = await resolveExperiments(['all']);
  const plans = await resolvePlans(['all']);
  return [
    { kind: 'load', name: ramp.name, run: (runsDir) => runScenario({ ...common, scenario: ramp, source: 'scenarios (ramp)', runsDir }) },
    ...experiments.map(({ experiment, source }): Part => ({ kind: 'chaos', name: experiment.name, run: (runsDir) => runExperiment({ ...common, experiment, source, runsDir }) })),
    ...plans.map(({ canary, source }): Part => ({ kind: 'canary', name: canary.name, run: (runsDir) => runCanary({ ...common, canary, source, runsDir }) })),
  ];
}

/** Why a finished part deserves one more run, or null: its checks failed; with what the generator and the machine measured meanwhile. */
export function retryReason(outcome: RunOutcome): string | null {
  if (outcome.exitCode !== ExitCode.thresholdsFailed && outcome.exitCode !== ExitCode.canaryRolledBack) return null;
  const causes = bottleneckCauses(outcome.record.generator, outcome.record.machine.cpus);
  const failed = (outcome.record.verdict?.checks ?? []).filter((c) => !c.ok).map((c) => `${c.name}: ${c.observed ?? 'no data'} against ${c.target}`);
  return `exit ${outcome.exitCode}${failed.length ? ` (failed: ${failed.join('; ')})` : ''}${causes.length ? ` while ${causes.join(', and ')}` : ', with no bottleneck seen on the generator or the machine'}`;
}

const stamp = (date: Date) => date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export async function nightlyCommand(options: NightlyOptions): Promise<number> {
  const startedAt = new Date();
  const dir = path.resolve(options.out ?? path.join(options.runsRoot, `nightly-${stamp(startedAt)}`));
  mkdirSync(dir, { recursive: true });
  const parts = await nightlyParts(options);
  options.progress(`Nightly: ${parts.length} parts at --scale ${options.scale} on the ${options.provider} provider, into ${path.relative(process.cwd(), dir) || dir}`);
  const results: NightlyPartResult[] = [];
  for (const [i, part] of parts.entries()) {
    if (options.signal.aborted) {
      results.push({ kind: part.kind, name: part.name, exitCode: null, status: 'not-run', runId: null, durationMs: 0, error: 'the night was interrupted before this part' });
      continue;
    }
    options.progress('');
    options.progress(`== Nightly part ${i + 1}/${parts.length}: ${part.kind} ${part.name}`);
    const started = performance.now();
    try {
      let outcome = await part.run(dir);
      let exitCode = finishRun(outcome, part.name);
      const retry = options.signal.aborted ? null : retryReason(outcome);
      let setAside: NightlyPartResult['setAside'];
      let flaky = false;
      if (retry && options.retry !== false) {
        setAside = { runId: outcome.record.id, exitCode, reason: retry };
        options.progress(`Nightly: ${part.name} ended with ${retry}. Running it once more: a regression fails twice; run ${outcome.record.id} stays in the index.`);
        outcome = await part.run(dir);
        exitCode = finishRun(outcome, part.name);
        flaky = exitCode === ExitCode.passed;
        if (flaky) {
          options.progress(`Nightly: ${part.name} passed its second run: flaky${options.failOnFlaky ? ', and --fail-on-flaky fails it' : ''}.`);
          if (options.failOnFlaky) exitCode = setAside.exitCode;
        }
      }
      results.push({ kind: part.kind, name: part.name, exitCode, status: outcome.record.status, runId: outcome.record.id, durationMs: Math.round(performance.now() - started), record: outcome.record, ...(setAside ? { setAside } : {}), ...(flaky ? { flaky } : {}) });
    } catch (thrown) {
      // A part that could not run is the night's data, not its end: say why and go on.
      const error = asRushhourError(thrown);
      process.stderr.write(`${formatError(error)}\n`);
      results.push({ kind: part.kind, name: part.name, exitCode: error.exitCode, status: 'error', runId: null, durationMs: Math.round(performance.now() - started), error: `${error.code}: ${error.message}` });
    }
  }
  const interrupted = options.signal.aborted;
  const exitCode = interrupted ? ExitCode.interrupted : worstExitCode(results.flatMap((r) => (r.exitCode === null ? [] : [r.exitCode])));
  const night = { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), scale: options.scale, provider: options.provider, exitCode, parts: results.map(({ record: _record, ...rest }) => rest) };
  writeFileSync(path.join(dir, 'nightly.json'), `${JSON.stringify(night, null, 2)}\n`);
  writeFileSync(path.join(dir, 'junit.xml'), renderNightlyJUnit(results));
  writeFileSync(path.join(dir, 'summary.md'), renderNightlySummary(night, results));
  const index = writeRunsIndex(dir, { title: `rushhour nightly ${stamp(startedAt)}`, missing: results.filter((r) => r.runId === null) });
  // The runs root's index lists a night one level down; refresh it now, not at the next run.
  if (path.dirname(dir) === path.resolve(options.runsRoot)) writeRunsIndex(options.runsRoot);
  const shown = (file: string) => path.relative(process.cwd(), file) || file;
  options.progress('');
  const flaky = results.filter((r) => r.flaky).length;
  options.progress(`Nightly: ${results.filter((r) => r.exitCode === ExitCode.passed).length} of ${results.length} parts passed${flaky ? ` (${flaky} flaky: passed only their second run)` : ''}; exit ${exitCode}`);
  for (const r of results) options.progress(`  ${r.exitCode === ExitCode.passed ? '✓' : r.exitCode === null ? '–' : '✗'} ${r.kind.padEnd(6)} ${r.name.padEnd(24)} ${r.exitCode === null ? 'not run' : `exit ${r.exitCode}`}${r.error ? ` (${r.error})` : ''}${r.flaky ? ' FLAKY' : ''}${r.setAside ? ` (second run; the first, ${r.setAside.runId}, ${r.setAside.reason})` : ''}`);
  options.progress(`  runs index: ${shown(index)} · JUnit: ${shown(path.join(dir, 'junit.xml'))} · summary: ${shown(path.join(dir, 'summary.md'))} · ${shown(path.join(dir, 'nightly.json'))}`);
  return exitCode;
}
