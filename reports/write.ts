import { existsSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../harness/index.ts';
import { compareRuns, type Comparison } from './compare.ts';
import { renderComparisonReport } from './html/compare-report.ts';
import { renderRunReport } from './html/run-report.ts';
import { renderRunsIndex, type IndexEntry, type MissingPart } from './html/runs-index.ts';
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

/**
 * runs/index.html over every run folder in `runsDir` (the `latest` link is not a run of its
 * own), and the runs of each night one level down (`nightly-*`), linked there. A night's own
 * index names its parts that have no run (`missing`: an error, or not run).
 */
export function writeRunsIndex(runsDir: string, options: { title?: string; missing?: readonly MissingPart[] } = {}): string {
  const entries: IndexEntry[] = [];
  const collect = (dir: string, prefix: string, group: string | undefined, depth: number) => {
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      const child = path.join(dir, name);
      if (name === 'latest' || !statSync(child, { throwIfNoEntry: false })?.isDirectory()) continue;
      const record = readRunRecord(child);
      if (record) entries.push({ record, report: existsSync(path.join(child, 'report.html')) ? `${prefix}${name}/report.html` : null, ...(group ? { group } : {}) });
      else if (depth === 0 && name.startsWith('nightly')) collect(child, `${prefix}${name}/`, name, 1);
    }
  };
  collect(runsDir, '', undefined, 0);
  const file = path.join(runsDir, 'index.html');
  writeWhole(file, renderRunsIndex(entries, options));
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
