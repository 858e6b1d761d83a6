import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, importDefault, RushhourError, type Provider, type ResolvedConfig } from '../harness/index.ts';
import { validateCanary, type CanaryDefinition } from '../canary/canary.ts';
import { builtinCanaries, canaryGroups } from '../canary/plans/index.ts';
import { runCanary } from '../canary/run-canary.ts';
import { withWorkload } from './chaos-command.ts';
import { finishRun, worstExitCode } from './finish-run.ts';

// `rushhour canary <plan|group|file.ts>...`: each plan in turn, each on a stack of its own (the
// candidate is started by the stack's owner), each with its run record, journal, report and
// JUnit; the exit code is the worst of them (0 as planned, 101 rolled back against the plan).

export async function resolvePlans(names: readonly string[]): Promise<{ canary: CanaryDefinition; source: string }[]> {
  const resolved: { canary: CanaryDefinition; source: string }[] = [];
  for (const name of names.flatMap((n) => canaryGroups[n] ?? [n])) {
    const builtin = builtinCanaries[name];
    if (builtin) {
      resolved.push({ canary: builtin, source: `canary/plans (${name})` });
      continue;
    }
    const file = path.resolve(name);
    if (!/\.(ts|mts|js|mjs)$/.test(name) || !existsSync(file)) {
      throw new RushhourError('RUSHHOUR_ERR_SCENARIO_NOT_FOUND', `no built-in canary plan "${name}" and no plan file at ${name}`, {
        details: [`built-in: ${Object.keys(builtinCanaries).join(', ')}; groups: ${Object.keys(canaryGroups).join(', ')}`],
      });
    }
    const relative = path.relative(process.cwd(), file) || file;
    resolved.push({ canary: validateCanary(await importDefault(file, relative, 'RUSHHOUR_ERR_SCENARIO_INVALID'), relative), source: relative });
  }
  return resolved.map(({ canary, source }) => ({ canary: { ...canary, load: withWorkload(canary.load, source) }, source }));
}

export async function canaryCommand(options: { names: string[]; scale: number; provider: Provider; config: ResolvedConfig; runsDir: string; signal: AbortSignal; progress: (line: string) => void }): Promise<number> {
  const plans = await resolvePlans(options.names);
  const codes: number[] = [];
  for (const { canary, source } of plans) {
    if (options.signal.aborted) break;
    options.progress(`Canary ${canary.name}: ${canary.description}`);
    const outcome = await runCanary({ canary, source, config: options.config, provider: options.provider, scale: options.scale, runsDir: options.runsDir, signal: options.signal, progress: options.progress });
    codes.push(finishRun(outcome, canary.name));
  }
  return options.signal.aborted ? ExitCode.interrupted : worstExitCode(codes);
}
