import type { RunRecord } from '../../harness/index.ts';
import { esc, page } from './page.ts';

// runs/index.html: every run in the folder with its verdict, newest first, each linked to its
// report. Built from the run records alone; a folder that is not a run is left out.

export interface IndexEntry {
  record: Pick<RunRecord, 'id' | 'kind' | 'name' | 'status' | 'startedAt' | 'durationMs' | 'provider' | 'scale' | 'verdict'>;
  /** The report's path relative to the index, when there is one. */
  report: string | null;
}

export function renderRunsIndex(entries: readonly IndexEntry[]): string {
  const sorted = [...entries].sort((a, b) => b.record.startedAt.localeCompare(a.record.startedAt));
  const rows = sorted.map(({ record: r, report }) => {
    const verdict = !r.verdict ? '<td class="result skip">⚠ no verdict</td>' : r.verdict.ok ? '<td class="result pass">✓ passed</td>' : `<td class="result fail">✗ failed (exit ${r.verdict.exitCode})</td>`;
    const name = report ? `<a href="${esc(report)}">${esc(r.name)}</a>` : esc(r.name);
    const failed = r.verdict ? r.verdict.checks.filter((c) => !c.ok).map((c) => `${c.name} ${c.expression}`) : [];
    return `<tr class="${r.verdict && !r.verdict.ok ? 'fail' : ''}">${verdict}<th scope="row">${name}</th><td>${esc(r.kind)}</td><td>${esc(r.startedAt)}</td><td class="num">${r.durationMs === null ? '–' : `${(r.durationMs / 1_000).toFixed(1)} s`}</td><td>${esc(r.provider)}</td><td class="num">${r.scale}</td><td>${esc(r.status)}</td><td><code>${esc(r.id)}</code></td><td>${esc(failed.join('; '))}</td></tr>`;
  });
  const passed = sorted.filter((e) => e.record.verdict?.ok).length;
  const body = `
<header><h1>rushhour runs</h1><p class="sub">${sorted.length} run(s), ${passed} passed, newest first.</p></header>
<table id="runs-table"><thead><tr><th scope="col">verdict</th><th scope="col">run</th><th scope="col">kind</th><th scope="col">started</th><th scope="col" class="num">duration</th><th scope="col">provider</th><th scope="col" class="num">scale</th><th scope="col">status</th><th scope="col">id</th><th scope="col">failed checks</th></tr></thead><tbody>${rows.join('') || '<tr><td colspan="10">No runs yet.</td></tr>'}</tbody></table>
<footer>Rendered by rushhour from each run's <code>run.json</code>.</footer>`;
  return page({ title: 'rushhour runs', body });
}
