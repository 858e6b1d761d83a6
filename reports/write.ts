import { existsSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../harness/index.ts';
import { compareRuns, type Comparison } from './compare.ts';
import { renderComparisonReport } from './html/compare-report.ts';
import { renderRunReport } from './html/run-report.ts';
import { renderRunsIndex, type IndexEntry } from './html/runs-index.ts';
import { renderMarkdownComparison, renderMarkdownSummary } from './markdown.ts';

// Where the reports go: beside each run's run.json (report.html, summary.md), one
// runs/index.html, and a comparison in the later run's folder. Files are written whole (temp
// file and rename), so a reader never sees half a report.

function writeWhole(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/** Reads a run record; null when the folder holds none or it is not one (not JSON, no id). */
export function readRunRecord(dir: string): RunRecord | null {
  const file = path.join(dir, 'run.json');
  if (!existsSync(file)) return null;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
    return typeof record === 'object' && record !== null && typeof record.id === 'string' && typeof record.schema === 'number' ? record : null;
  } catch {
    return null;
  }
}

export interface RunReports {
  html: string;
  markdown: string;
}

/** report.html and summary.md beside the run's run.json. */
export function writeRunReports(dir: string, record: RunRecord): RunReports {
  const html = path.join(dir, 'report.html');
  const markdown = path.join(dir, 'summary.md');
  writeWhole(html, renderRunReport(record));
  writeWhole(markdown, renderMarkdownSummary(record));
  return { html, markdown };
}

/** runs/index.html over every run folder in `runsDir` (the `latest` link is not a run of its own). */
export function writeRunsIndex(runsDir: string): string {
  const entries: IndexEntry[] = [];
  for (const name of existsSync(runsDir) ? readdirSync(runsDir) : []) {
    const dir = path.join(runsDir, name);
    if (name === 'latest' || !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
    const record = readRunRecord(dir);
    if (!record) continue;
    entries.push({ record, report: existsSync(path.join(dir, 'report.html')) ? `${name}/report.html` : null });
  }
  const file = path.join(runsDir, 'index.html');
  writeWhole(file, renderRunsIndex(entries));
  return file;
}

/** The comparison of two runs, written into the later run's folder as HTML and Markdown. */
export function writeComparison(beforeDir: string, before: RunRecord, afterDir: string, after: RunRecord): { html: string; markdown: string; comparison: Comparison } {
  const comparison = compareRuns(before, after);
  const html = path.join(afterDir, `compare-${before.id}.html`);
  const markdown = path.join(afterDir, `compare-${before.id}.md`);
  const relative = (dir: string) => path.relative(realpathSync(afterDir), path.join(realpathSync(dir), 'report.html'));
  writeWhole(html, renderComparisonReport(comparison, { before: existsSync(path.join(beforeDir, 'report.html')) ? relative(beforeDir) : undefined, after: 'report.html' }));
  writeWhole(markdown, renderMarkdownComparison(comparison));
  return { html, markdown, comparison };
}
