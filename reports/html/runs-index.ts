import type { RunRecord } from '../../harness/index.ts';
import { esc, page } from './page.ts';

// runs/index.html: every run in the folder with its verdict, newest first, each linked to its
// report. Built from the run records alone; a folder that is not a run is left out.

export interface IndexEntry {
  record: Pick<RunRecord, 'id' | 'kind' | 'name' | 'status' | 'startedAt' | 'durationMs' | 'provider' | 'scale' | 'verdict'>;
  /** The report's path relative to the index, when there is one. */
  report: string | null;
  /** The night (`nightly-*` folder) the run belongs to, when it is one of a night's. */
  group?: string;
}

/** A part of a night without a run: it errored before one, or never started. */
export interface MissingPart {
  kind: string;
  name: string;
  exitCode: number | null;
  error?: string;
}

export function renderRunsIndex(entries: readonly IndexEntry[], options: { title?: string; missing?: readonly MissingPart[] } = {}): string {
  const sorted = [...entries].sort((a, b) => b.record.startedAt.localeCompare(a.record.startedAt));
  const grouped = sorted.some((e) => e.group);
  const rows = sorted.map(({ record: r, report, group }) => {
    const verdict = !r.verdict ? '<td class="result skip">⚠ no verdict</td>' : r.verdict.ok ? '<td class="result pass">✓ passed</td>' : `<td class="result fail">✗ failed (exit ${r.verdict.exitCode})</td>`;
    const name = `${report ? `<a href="${esc(report)}">${esc(r.name)}</a>` : esc(r.name)}${grouped && group ? ` <span class="sub">(${esc(group)})</span>` : ''}`;
    const failed = r.verdict ? r.verdict.checks.filter((c) => !c.ok).map((c) => `${c.name} ${c.expression}`) : [];
    return `<tr class="${r.verdict && !r.verdict.ok ? 'fail' : ''}">${verdict}<th scope="row">${name}</th><td>${esc(r.kind)}</td><td>${esc(r.startedAt)}</td><td class="num">${r.durationMs === null ? '–' : `${(r.durationMs / 1_000).toFixed(1)} s`}</td><td>${esc(r.provider)}</td><td class="num">${r.scale}</td><td>${esc(r.status)}</td><td><code>${esc(r.id)}</code></td><td>${esc(failed.join('; '))}</td></tr>`;
  });
  // Parts of a night without a run still get a row: a gate's reader must see what is missing.
  for (const m of options.missing ?? []) {
    const verdict = m.exitCode === null ? '<td class="result skip">– not run</td>' : `<td class="result fail">✗ error (exit ${m.exitCode})</td>`;
    rows.push(`<tr class="${m.exitCode === null ? '' : 'fail'}">${verdict}<th scope="row">${esc(m.name)}</th><td>${esc(m.kind)}</td><td>–</td><td class="num">–</td><td>–</td><td class="num">–</td><td>${m.exitCode === null ? 'not run' : 'error'}</td><td>–</td><td>${esc(m.error ?? '')}</td></tr>`);
  }
  const passed = sorted.filter((e) => e.record.verdict?.ok).length;
  const title = options.title ?? 'rushhour runs';
  const missing = options.missing?.length ? `, ${options.missing.length} part(s) without a run` : '';
  const body = `
<header><h1>${esc(title)}</h1><p class="sub">${sorted.length} run(s), ${passed} passed${missing}, newest first.</p></header>
<table id="runs-table"><thead><tr><th scope="col">verdict</th><th scope="col">run</th><th scope="col">kind</th><th scope="col">started</th><th scope="col" class="num">duration</th><th scope="col">provider</th><th scope="col" class="num">scale</th><th scope="col">status</th><th scope="col">id</th><th scope="col">failed checks</th></tr></thead><tbody>${rows.join('') || '<tr><td colspan="10">No runs yet.</td></tr>'}</tbody></table>
<footer>Rendered by rushhour from each run's <code>run.json</code>.</footer>`;
  return page({ title, body });
}
