import { formatDelta, formatValue, type Comparison, type ComparisonRow } from '../compare.ts';
import { esc, page } from './page.ts';

// Two runs side by side: regressions first and highlighted (a word and a symbol as well as a
// colour), then improvements, then everything that held.

const VERDICT_TEXT: Record<ComparisonRow['verdict'], string> = { worse: '✗ worse', better: '✓ better', same: '= same', new: '+ new', gone: '− gone' };
const ORDER: Record<ComparisonRow['verdict'], number> = { worse: 0, better: 1, new: 2, gone: 3, same: 4 };

function okText(ok: boolean | null | undefined): string {
  return ok === null || ok === undefined ? '–' : ok ? '✓ pass' : '✗ fail';
}

export function renderComparisonReport(comparison: Comparison, links: { before?: string; after?: string } = {}): string {
  const { before, after } = comparison;
  const state = (s: Comparison['before']) => (s.ok === null ? '⚠ no verdict' : s.ok ? '✓ passed' : `✗ failed (exit ${s.exitCode})`);
  const link = (href: string | undefined, text: string) => (href ? `<a href="${esc(href)}">${esc(text)}</a>` : esc(text));
  const rows = [...comparison.rows]
    .sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict])
    .map((r) => {
      const b = r.section === 'check' ? `${okText(r.before_ok)} · ${formatValue(r.before, r.unit)}` : formatValue(r.before, r.unit);
      const a = r.section === 'check' ? `${okText(r.after_ok)} · ${formatValue(r.after, r.unit)}` : formatValue(r.after, r.unit);
      return `<tr class="${r.verdict}" data-verdict="${r.verdict}" data-section="${r.section}"><td class="result ${r.verdict === 'worse' ? 'fail' : r.verdict === 'better' ? 'pass' : ''}">${VERDICT_TEXT[r.verdict]}</td><td>${esc(r.section)}</td><th scope="row">${esc(r.name)}${r.note ? ` <small>(${esc(r.note)})</small>` : ''}</th><td class="num">${esc(b)}</td><td class="num">${esc(a)}</td><td class="num">${esc(formatDelta(r))}</td></tr>`;
    });
  const headline = comparison.regressions === 0 ? '✓ No regressions' : `✗ ${comparison.regressions} regression${comparison.regressions === 1 ? '' : 's'}`;
  const body = `
<header>
<h1>Comparison: ${esc(before.name)} → ${esc(after.name)}</h1>
<section class="verdict ${comparison.regressions === 0 ? 'pass' : 'fail'}" aria-label="comparison verdict"><div class="word">${headline}</div><div>${comparison.improvements} improvement(s). Latency counts as worse past +10 % and +5 ms together; throughput past −10 %; errors past +0.5 points; a check that passed and now fails always does.</div></section>
</header>
<section><h2>Runs</h2>
<table><thead><tr><th scope="col"></th><th scope="col">run</th><th scope="col">started</th><th scope="col">verdict</th></tr></thead><tbody>
<tr><th scope="row">before</th><td>${link(links.before, before.id)}</td><td>${esc(before.startedAt)}</td><td>${esc(state(before))}</td></tr>
<tr><th scope="row">after</th><td>${link(links.after, after.id)}</td><td>${esc(after.startedAt)}</td><td>${esc(state(after))}</td></tr>
</tbody></table>
${comparison.caveats.map((c) => `<p class="warning" role="note">⚠ ${esc(c)}</p>`).join('')}
</section>
<section><h2>Every check, percentile and rate</h2>
<table id="comparison-table"><caption>Regressions first.</caption><thead><tr><th scope="col">change</th><th scope="col">section</th><th scope="col">what</th><th scope="col" class="num">before</th><th scope="col" class="num">after</th><th scope="col" class="num">delta</th></tr></thead><tbody>${rows.join('')}</tbody></table>
</section>
<footer>Rendered by rushhour from the two runs' <code>run.json</code>. Self-contained: this file makes no network requests.</footer>`;
  return page({ title: `${comparison.regressions === 0 ? '✓' : '✗'} ${before.id} → ${after.id} · rushhour comparison`, body });
}
