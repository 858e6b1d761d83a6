import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, RushhourError } from '../harness/index.ts';
import type { RunRecord } from '../harness/index.ts';
import { renderMarkdownComparison, renderMarkdownSummary } from '../reports/markdown.ts';
import { readRunRecord, writeComparison, writeRunReports, writeRunsIndex } from '../reports/write.ts';

// `rushhour report`: (re)renders a run's report.html and summary.md from its run.json,
// refreshes runs/index.html, compares two runs, prints Markdown for CI summaries, and opens a
// report in the desktop's browser.

const out = (line = '') => process.stdout.write(`${line}\n`);
const shown = (file: string) => path.relative(process.cwd(), file) || file;

/** A run folder (or runs/latest) resolved to its real path, with its record. */
function runAt(dir: string, what: string): { dir: string; record: RunRecord } {
  const resolved = existsSync(dir) ? realpathSync(dir) : path.resolve(dir);
  const record = readRunRecord(resolved);
  if (!record) throw new RushhourError('RUSHHOUR_ERR_RUN_NOT_FOUND', `${what}: no run record at ${path.join(dir, 'run.json')}`, { details: [`${what}: give a run folder, runs/<id>, that holds a run.json written by \`rushhour run\``] });
  return { dir: resolved, record };
}

/** The desktop's way to open a file: $BROWSER, else open (macOS) or xdg-open. */
function openInBrowser(file: string): boolean {
  const opener = process.env.BROWSER ?? (process.platform === 'darwin' ? 'open' : 'xdg-open');
  const candidates = opener.includes('/') ? [opener] : (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, opener));
  if (!candidates.some((candidate) => existsSync(candidate))) return false;
  const child = spawn(opener, [file], { detached: true, stdio: 'ignore' });
  child.on('error', () => {});
  child.unref();
  return true;
}

export interface ReportFlags {
  runDir: string | undefined;
  compare: string | undefined;
  open: boolean;
  markdown: boolean;
  failOnRegression: boolean;
  runsDir: string;
}

export function reportCommand(flags: ReportFlags): number {
  const current = runAt(flags.runDir ?? path.join(flags.runsDir, 'latest'), flags.runDir ?? 'the newest run (runs/latest)');
  const reports = writeRunReports(current.dir, current.record);
  const index = writeRunsIndex(path.dirname(current.dir));
  let opened = reports.html;
  let exitCode: number = ExitCode.passed;
  if (flags.compare !== undefined) {
    const baseline = runAt(flags.compare, '--compare');
    const written = writeComparison(baseline.dir, baseline.record, current.dir, current.record);
    opened = written.html;
    if (flags.markdown) out(renderMarkdownComparison(written.comparison));
    else {
      const { regressions, improvements, caveats } = written.comparison;
      out(`Compared ${baseline.record.id} (before) with ${current.record.id} (after): ${regressions} regression(s), ${improvements} improvement(s).`);
      for (const caveat of caveats) out(`  caveat: ${caveat}`);
      out(`  ${shown(written.html)} · ${shown(written.markdown)}`);
    }
    if (flags.failOnRegression && written.comparison.regressions > 0) exitCode = ExitCode.thresholdsFailed;
  } else if (flags.markdown) {
    out(renderMarkdownSummary(current.record));
  } else {
    out(`Report: ${shown(reports.html)} · summary: ${shown(reports.markdown)} · index: ${shown(index)}`);
  }
  if (flags.open && !openInBrowser(opened)) out(`No browser to open it with (set BROWSER, or install xdg-open); the report is ${opened}`);
  return exitCode;
}
