import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, type RunOutcome } from '../harness/index.ts';
import { renderConsoleSummary } from '../reports/console.ts';
import { renderJUnit } from '../reports/junit.ts';
import { writeRunReports, writeRunsIndex } from '../reports/write.ts';

// What every command that runs load does with its outcome: JUnit, the HTML report and Markdown
// summary, runs/index.html, the console summary, and on stderr the stable error code with
// every failed check. Returns the exit code.

const out = (line = '') => process.stdout.write(`${line}\n`);
const shown = (file: string) => path.relative(process.cwd(), file);

export function finishRun(outcome: RunOutcome, name: string): number {
  const junit = path.join(outcome.dir, 'junit.xml');
  writeFileSync(junit, renderJUnit([outcome.record]));
  const reports = writeRunReports(outcome.dir, outcome.record);
  const index = writeRunsIndex(path.dirname(outcome.dir));
  out('');
  out(renderConsoleSummary(outcome.record));
  out('');
  out(`  run record: ${shown(path.join(outcome.dir, 'run.json'))} · JUnit: ${shown(junit)}`);
  out(`  report: ${shown(reports.html)} · summary: ${shown(reports.markdown)} · all runs: ${shown(index)}`);
  if (outcome.exitCode === ExitCode.thresholdsFailed || outcome.exitCode === ExitCode.invariantViolated || outcome.exitCode === ExitCode.canaryRolledBack) {
    const failed = outcome.record.verdict!.reasons;
    const code = outcome.exitCode === ExitCode.invariantViolated ? 'RUSHHOUR_ERR_INVARIANT_VIOLATED' : outcome.exitCode === ExitCode.canaryRolledBack ? 'RUSHHOUR_ERR_CANARY_ROLLED_BACK' : 'RUSHHOUR_ERR_THRESHOLDS_FAILED';
    process.stderr.write(`${code}: ${name}: ${failed.length} check(s) failed\n${failed.map((reason) => `  ${reason}`).join('\n')}\n`);
  }
  return outcome.exitCode;
}

// The order a gate reads exit codes in, least to most severe: a harness bug or an interrupt
// hides every verdict, lost data outranks a rollback, which outranks a slow run.
const SEVERITY: readonly number[] = [ExitCode.passed, ExitCode.thresholdsFailed, ExitCode.canaryRolledBack, ExitCode.invariantViolated, ExitCode.usage, ExitCode.environment, ExitCode.harnessBug, ExitCode.interrupted];

export function worstExitCode(codes: readonly number[]): number {
  return codes.reduce((worst, code) => (SEVERITY.indexOf(code) > SEVERITY.indexOf(worst) ? code : worst), ExitCode.passed as number);
}
