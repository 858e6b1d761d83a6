import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, importDefault, RushhourError, type Provider, type ResolvedConfig } from '../harness/index.ts';
import { validateExperiment, type ExperimentDefinition } from '../chaos/experiment.ts';
import { builtinExperiments, experimentGroups } from '../chaos/experiments/index.ts';
import { runExperiment } from '../chaos/run-experiment.ts';
import { builtinScenarios } from '../scenarios/index.ts';
import { finishRun, worstExitCode } from './finish-run.ts';

// `rushhour chaos <experiment|group|file.ts>...`: each experiment in turn, each with its own
// run record, report and JUnit; the exit code is the worst of them.

export async function resolveExperiments(names: readonly string[]): Promise<{ experiment: ExperimentDefinition; source: string }[]> {
  const resolved: { experiment: ExperimentDefinition; source: string }[] = [];
  for (const name of names.flatMap((n) => experimentGroups[n] ?? [n])) {
    const builtin = builtinExperiments[name];
    if (builtin) {
      resolved.push({ experiment: builtin, source: `chaos/experiments (${name})` });
      continue;
    }
    const file = path.resolve(name);
    if (!/\.(ts|mts|js|mjs)$/.test(name) || !existsSync(file)) {
      throw new RushhourError('RUSHHOUR_ERR_SCENARIO_NOT_FOUND', `no built-in experiment "${name}" and no experiment file at ${name}`, {
        details: [`built-in: ${Object.keys(builtinExperiments).join(', ')}; groups: ${Object.keys(experimentGroups).join(', ')}`],
      });
    }
    const relative = path.relative(process.cwd(), file) || file;
    resolved.push({ experiment: validateExperiment(await importDefault(file, relative, 'RUSHHOUR_ERR_SCENARIO_INVALID'), relative), source: relative });
  }
  return resolved.map(({ experiment, source }) => ({ experiment: { ...experiment, load: withWorkload(experiment.load, source) }, source }));
}

/** A load that names a built-in scenario gets its workload here, the composition root. */
export function withWorkload<L extends { scenario?: string; workload?: ExperimentDefinition['load']['workload'] }>(load: L, source: string): L {
  if (load.workload) return load;
  const scenario = load.scenario ? builtinScenarios[load.scenario] : undefined;
  if (!scenario?.workload) {
    throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${source}: load: give a workload, or name a built-in scenario that has one`, { details: [`${source}: load.scenario: "${load.scenario ?? ''}" (built-in: ${Object.keys(builtinScenarios).join(', ')})`] });
  }
  return { ...load, workload: scenario.workload };
}

export async function chaosCommand(options: { names: string[]; scale: number; provider: Provider; config: ResolvedConfig; runsDir: string; signal: AbortSignal; progress: (line: string) => void }): Promise<number> {
  const experiments = await resolveExperiments(options.names);
  const codes: number[] = [];
  for (const { experiment, source } of experiments) {
    if (options.signal.aborted) break;
    options.progress(`Experiment ${experiment.name}: ${experiment.description}`);
    const outcome = await runExperiment({ experiment, source, config: options.config, provider: options.provider, scale: options.scale, runsDir: options.runsDir, signal: options.signal, progress: options.progress });
    codes.push(finishRun(outcome, experiment.name));
  }
  return options.signal.aborted ? ExitCode.interrupted : worstExitCode(codes);
}
