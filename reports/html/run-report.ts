import type { HostHealth, RunRecord, VerdictCheck } from '../../harness/index.ts';
import { buildReportModel, timelineOf } from './chart-model.ts';
import { esc, fmtMs, fmtNumber, page, resultCell } from './page.ts';

// One run's report, from run.json alone: the verdict first (did it pass, and why not), then
// every check with target, observed value and window, the charts with the run's timeline on
// each, the per-endpoint table, what the scenario analysed, the generator's health and the
// environment. Reviewers read it top-down and stop once they know enough.

/** Up to four decimals, trailing zeros dropped: 25.799, 0.0358, 1. */
const fmtObserved = (value: number) => (Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(4).replace(/0+$/, '').replace(/\.$/, ''));

const LATENCY_BASIS: Record<string, string> = {
  'rushhour-open-model': 'measured from the intended send time (coordinated-omission corrected)',
  'rushhour-closed-model': 'measured from the send (closed model: each VU waits for its answer)',
  autocannon: 'measured from the actual send (autocannon, closed model, flat out)',
  k6: "as k6 measured it (from k6's summary)",
};

function verdictBanner(record: RunRecord): string {
  const v = record.verdict;
  if (!v) {
    return `<section class="verdict none" aria-label="verdict"><div class="word">⚠ NO VERDICT</div><div>The run is <strong>${esc(record.status)}</strong>: it ended before it was judged. What it recorded so far is below.</div></section>`;
  }
  const failed = v.checks.filter((c) => !c.ok);
  const word = v.ok ? '✓ PASSED' : '✗ FAILED';
  const reasons = v.reasons.length ? `<ul>${v.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '';
  const summary = v.ok
    ? `All ${v.checks.length} checks held. Exit code ${v.exitCode}.`
    : `${failed.length} of ${v.checks.length} checks failed${record.status !== 'finished' ? `; the run was ${esc(record.status)}` : ''}. Exit code <strong>${v.exitCode}</strong>.`;
  return `<section class="verdict ${v.ok ? 'pass' : 'fail'}" aria-label="verdict"><div class="word">${word}</div><div>${summary}${reasons}</div></section>`;
}

function checksTable(checks: readonly VerdictCheck[]): string {
  if (checks.length === 0) return '<p>This run has no checks.</p>';
  // Failures first: they are what a reviewer opened the report for.
  const ordered = [...checks.filter((c) => !c.ok), ...checks.filter((c) => c.ok)];
  const rows = ordered.map((c) => {
    const skipped = c.ok && c.observed === null && /skipp/i.test(c.note ?? '');
    return `<tr class="${c.ok ? 'pass' : 'fail'}" data-kind="${esc(c.kind)}" data-name="${esc(c.name)}" data-expression="${esc(c.expression)}">${resultCell(c.ok, skipped)}<td>${esc(c.kind)}</td><th scope="row">${esc(c.name)}</th><td class="expression"><code>${esc(c.expression)}</code></td><td class="target">${esc(c.target)}</td><td class="num observed">${c.observed === null ? 'no data' : esc(fmtObserved(c.observed))}</td><td>${esc(c.window)}</td><td>${esc(c.note ?? '')}</td></tr>`;
  });
  return `<table id="checks-table"><caption>Every threshold, SLO, alert gate and invariant of the run; failures first.</caption><thead><tr><th scope="col">result</th><th scope="col">kind</th><th scope="col">name</th><th scope="col">expression</th><th scope="col">target</th><th scope="col" class="num">observed</th><th scope="col">window</th><th scope="col">note</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function endpointsTable(record: RunRecord): string {
  const entries = Object.entries(record.client.endpoints);
  if (entries.length === 0) return '<p>No requests were recorded.</p>';
  const rows = entries.map(
    ([name, e]) =>
      `<tr><th scope="row">${esc(name)}</th><td class="num">${fmtNumber(e.count)}</td><td class="num">${fmtNumber(e.failed)}</td><td class="num">${e.count ? ((e.failed / e.count) * 100).toFixed(2) : '0.00'} %</td><td class="num">${fmtMs(e.avg)}</td><td class="num">${fmtMs(e.p50)}</td><td class="num">${fmtMs(e.p90)}</td><td class="num">${fmtMs(e.p95)}</td><td class="num">${fmtMs(e.p99)}</td><td class="num">${fmtMs(e.max)}</td></tr>`,
  );
  return `<table id="endpoints-table"><caption>Client latency per endpoint over the whole run, ${esc(LATENCY_BASIS[record.driver] ?? 'per request')}.</caption><thead><tr><th scope="col">endpoint</th><th scope="col" class="num">requests</th><th scope="col" class="num">failed</th><th scope="col" class="num">failed %</th><th scope="col" class="num">avg</th><th scope="col" class="num">p50</th><th scope="col" class="num">p90</th><th scope="col" class="num">p95</th><th scope="col" class="num">p99</th><th scope="col" class="num">max</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function timelineTable(record: RunRecord): string {
  const model = timelineOf(record);
  if (record.timeline.length === 0) return '<p>No timeline events.</p>';
  let mark = 0;
  const rows = record.timeline.map((e) => {
    const number = e.kind === 'canary-weight' || e.kind === 'decision' || e.kind === 'abort' || e.kind === 'note' ? `◆ ${++mark}` : '';
    return `<tr data-kind="${esc(e.kind)}"><td class="num">${fmtNumber(e.t, 1)} s</td><td>${esc(e.kind)}</td><td>${esc(number)}</td><td>${esc(e.label)}</td></tr>`;
  });
  const faults = model.faults.length ? `<p>${model.faults.length} fault window(s), shaded and hatched on every chart.</p>` : '';
  return `${faults}<table id="timeline-table"><caption>The run's timeline; numbered marks are drawn on the charts.</caption><thead><tr><th scope="col" class="num">t</th><th scope="col">kind</th><th scope="col">mark</th><th scope="col">event</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The canary's decision journal: each step's weight, its analysis (thresholds, per-metric comparison, score) and the decision. */
function canarySection(record: RunRecord): string {
  const canary = record.canary;
  if (!canary) return '';
  const outcome = canary.outcome === 'promoted' ? '✓ promoted' : canary.outcome === 'rolled-back' ? '↩ rolled back' : canary.outcome;
  const rows = canary.journal.map((entry) => {
    const a = entry.analysis;
    const detail = a
      ? [
          ...a.thresholds.map((t) => `${t.ok === null ? '? ' : t.ok ? '✓ ' : '✗ '}${t.name}: ${t.observed ?? 'no data'} (${t.target})`),
          ...(a.comparison
            ? [`score ${a.comparison.score.score} → ${a.comparison.verdict}${a.comparison.score.zeroedBy ? ` (${a.comparison.score.zeroedBy})` : ''}`, ...a.comparison.metrics.map((m) => `${m.name}: ${m.classification.toUpperCase()}${m.test ? ` — n ${m.test.n.experiment}/${m.test.n.control}, shift ${fmtNumber(m.test.estimate, 1)} [${fmtNumber(m.test.lower, 1)}, ${fmtNumber(m.test.upper, 1)}], p ${m.test.pValue.toPrecision(2)}` : ''}${m.ratio !== null ? `, ratio ${m.ratio.toFixed(2)}` : ''}`)]
            : []),
        ]
      : [entry.reason ?? ''];
    const ok = a ? a.phase === 'successful' : entry.kind === 'rollback' ? false : entry.kind === 'promote' ? true : null;
    return `<tr class="${ok === false ? 'fail' : ''}" data-kind="${esc(entry.kind)}"><td class="num">${fmtNumber(entry.t, 0)} s</td><td>${esc(entry.kind)}</td><td class="num">${fmtNumber(entry.weight, 0)} %</td>${a ? `<td>${esc(a.phase)} (${fmtNumber(a.window.from, 0)}–${fmtNumber(a.window.to, 0)} s)</td>` : '<td></td>'}<td>${detail.map((line) => esc(line)).join('<br>')}</td><td>${esc(entry.decision ?? '')}</td></tr>`;
  });
  return `<section id="canary"><h2>Canary: decision journal</h2><p><strong>${esc(outcome)}</strong> — ${esc(canary.reason)}. Candidate ${esc(canary.candidate.version)}${canary.candidate.variant ? ` (${esc(canary.candidate.variant)})` : ''} beside baseline ${esc(canary.baseline)} of ${esc(canary.service)}; the plan expects ${esc(canary.expect === 'promote' ? 'a promotion' : 'a rollback')}.</p><table id="canary-journal"><caption>Each step of the rollout: the candidate's weight, what the analysis measured (thresholds by Prometheus; Mann–Whitney per metric against the baseline) and the decision.</caption><thead><tr><th scope="col" class="num">t</th><th scope="col">step</th><th scope="col" class="num">weight</th><th scope="col">analysis</th><th scope="col">measured</th><th scope="col">decision</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function analysisSection(record: RunRecord): string {
  const parts: string[] = [];
  const { breakpoint, recovery, drift } = record.analysis ?? { breakpoint: null, recovery: null, drift: null };
  if (breakpoint) {
    const rows = breakpoint.steps.map(
      (s) =>
        `<tr class="${s.green === false ? 'fail' : ''}"><td class="num">${fmtNumber(s.rate)}</td><td class="num">${fmtNumber(s.fromSecond)}–${fmtNumber(s.toSecond)} s</td><td class="num">${fmtNumber(s.requests)}</td><td class="num">${s.errorRate === null ? '–' : `${(s.errorRate * 100).toFixed(2)} %`}</td><td class="num">${fmtMs(s.p95Ms)}</td>${resultCell(s.green)}<td>${esc([...s.slos.filter((x) => !x.ok).map((x) => `${x.name} broken`), s.note ?? ''].filter(Boolean).join('; '))}</td></tr>`,
    );
    parts.push(`<h3>Breakpoint</h3><p><strong>${esc(breakpoint.summary)}</strong></p><table><caption>Each step judged on the requests started in it.</caption><thead><tr><th scope="col" class="num">rate (it/s)</th><th scope="col" class="num">window</th><th scope="col" class="num">requests</th><th scope="col" class="num">errors</th><th scope="col" class="num">p95</th><th scope="col">green</th><th scope="col">why not</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  if (recovery) {
    parts.push(`<h3>Recovery</h3><dl class="facts"><dt>criterion</dt><dd>${esc(recovery.criterion)}</dd><dt>baseline p95</dt><dd>${fmtMs(recovery.baselineP95Ms)}</dd><dt>${record.kind === 'chaos' ? 'last fault reverted at' : 'spike ended at'}</dt><dd>${recovery.spikeEndSecond === null ? '–' : `${recovery.spikeEndSecond} s`}</dd><dt>recovered at</dt><dd>${recovery.recoveredAtSecond === null ? 'not within the run' : `${recovery.recoveredAtSecond} s`}</dd><dt>recovery time</dt><dd>${recovery.recoverySeconds === null ? '–' : `${recovery.recoverySeconds} s`}</dd></dl>`);
  }
  if (drift) {
    const memory = drift.memory.map((m) => `<tr><th scope="row">${esc(m.instance)}</th><td class="num">${m.heapFloorFirstMB.toFixed(1)} MB</td><td class="num">${m.heapFloorLastMB.toFixed(1)} MB</td><td class="num">${m.heapGrowthMB.toFixed(1)} MB</td><td class="num">${m.rssMBAtEnd.toFixed(0)} MB</td></tr>`);
    parts.push(`<h3>Drift</h3><p>p95 ${fmtMs(drift.latency.firstP95Ms)} in the first fifth (${esc(drift.latency.firstWindow)}) against ${fmtMs(drift.latency.lastP95Ms)} in the last (${esc(drift.latency.lastWindow)})${drift.latency.ratio === null ? '' : `: ×${drift.latency.ratio.toFixed(2)}`}.</p>${memory.length ? `<table><caption>Heap floor per SUT instance, first and last fifth.</caption><thead><tr><th scope="col">instance</th><th scope="col" class="num">first</th><th scope="col" class="num">last</th><th scope="col" class="num">growth</th><th scope="col" class="num">RSS at end</th></tr></thead><tbody>${memory.join('')}</tbody></table>` : ''}`);
  }
  if (record.invariants) {
    const o = record.invariants.operations;
    const rows = (['book', 'pay'] as const).map((t) => `<tr><th scope="row">${t}</th><td class="num">${fmtNumber(o[t].ok)}</td><td class="num">${fmtNumber(o[t].fail)}</td><td class="num">${fmtNumber(o[t].info)}</td></tr>`);
    parts.push(`<h3>Writes checked against the database</h3><table><caption>Each write's outcome (Jepsen's ok, fail, info); indeterminate ones are neither lost nor failed. The invariants are in the checks table.</caption><thead><tr><th scope="col">operation</th><th scope="col" class="num">acknowledged</th><th scope="col" class="num">refused</th><th scope="col" class="num">indeterminate</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  if (record.warmup) {
    const w = record.warmup;
    parts.push(`<h3>Warm-up (not judged)</h3><p>${(w.durationMs / 1_000).toFixed(1)} s at ${w.rate}/s before t = 0: ${fmtNumber(w.requests)} requests, ${fmtNumber(w.failedRequests)} failed, p95 ${fmtMs(w.p95Ms)}.</p>`);
  }
  return parts.join('\n');
}

function generatorSection(record: RunRecord): string {
  const g = record.generator;
  if (!g) return '<p>No generator health was recorded (the load ran outside rushhour, or the run ended early).</p>';
  const warning = g.warning ? `<p class="warning" role="note">⚠ ${esc(g.warning)}</p>` : '';
  return `${warning}<dl class="facts"><dt>CPU, peak</dt><dd>${g.cpuCoresMax.toFixed(2)} cores (${g.workers} thread${g.workers === 1 ? '' : 's'})</dd><dt>event-loop lag</dt><dd>p99 ${fmtMs(g.eventLoopLagMsP99)}, max ${fmtMs(g.eventLoopLagMsMax)}</dd><dt>dropped iterations</dt><dd>${fmtNumber(g.droppedIterations)}</dd>${hostFacts(g.host)}</dl>`;
}

/** The machine's lost time, as the generator measured it beside its own health. */
function hostFacts(host: HostHealth | null | undefined): string {
  if (!host || host.series.length === 0) return '';
  const pct = (value: number | null) => (value === null ? 'not measured' : `${value.toFixed(0)} %`);
  const stalls = host.stalls.length ? host.stalls.map((s) => `${esc(s.resource)} ${s.meanPct.toFixed(0)} % over ${s.fromSecond}–${s.toSecond} s`).join('; ') : 'none';
  return `<dt>machine: CPU steal</dt><dd>mean ${pct(host.stealPctMean)}, max ${pct(host.stealPctMax)} of a second</dd><dt>machine: stall pressure</dt><dd>I/O max ${pct(host.ioPctMax)}, memory max ${pct(host.memoryPctMax)} of a second</dd><dt>machine stalls</dt><dd>${stalls}</dd>`;
}

function environmentSection(record: RunRecord): string {
  const m = record.machine;
  const tools = Object.entries(record.tools).map(([k, v]) => `${esc(k)} ${esc(v)}`).join(', ');
  return `<dl class="facts"><dt>machine</dt><dd>${esc(m.hostname)}: ${esc(m.platform)}/${esc(m.arch)}, ${m.cpus} CPUs, ${fmtNumber(m.memoryMB)} MB</dd><dt>tools</dt><dd>${tools}</dd><dt>git</dt><dd>${record.git.commit ? `<code>${esc(record.git.commit.slice(0, 12))}</code>${record.git.dirty ? ' (uncommitted changes)' : ''}` : 'not a git checkout'}</dd><dt>provider</dt><dd>${esc(record.provider)}</dd><dt>target</dt><dd><code>${esc(record.target)}</code></dd></dl>
<details><summary>Resolved configuration</summary><pre>${esc(JSON.stringify(record.config, null, 2))}</pre></details>
<details><summary>Executor plan</summary><pre>${esc(JSON.stringify(record.executor, null, 2))}</pre></details>`;
}

export function renderRunReport(record: RunRecord): string {
  const model = buildReportModel(record);
  const seconds = (record.durationMs ?? 0) / 1_000;
  const c = record.client;
  const charts = model.charts
    .map(
      (chart) =>
        `<figure id="chart-${esc(chart.id)}" class="chart" data-chart="${esc(chart.id)}" aria-label="${esc(`${chart.title}. ${chart.caption}`)}"><h3>${esc(chart.title)} <small>(${esc(chart.unit)})</small></h3><div class="plot" role="img" aria-label="${esc(chart.title)}"></div><figcaption>${esc(chart.caption)}</figcaption></figure>`,
    )
    .join('\n');
  const body = `
<header>
<h1>${esc(record.kind)} run: ${esc(record.name)}</h1>
<p class="sub">${esc(record.description)} · run <code>${esc(record.id)}</code> · started ${esc(record.startedAt)} · ${seconds.toFixed(1)} s · ${esc(record.provider)} · ${esc(record.driver)} · scale ${record.scale}</p>
${verdictBanner(record)}
<nav aria-label="sections"><a href="#checks">Checks</a>${record.canary ? '<a href="#canary">Canary</a>' : ''}<a href="#charts">Charts</a><a href="#endpoints">Endpoints</a><a href="#timeline">Timeline</a><a href="#analysis">Analysis</a><a href="#generator">Generator</a><a href="#environment">Environment</a></nav>
</header>
<section id="checks"><h2>Checks</h2>${checksTable(record.verdict?.checks ?? [])}</section>
${canarySection(record)}
<section id="charts"><h2>Over time</h2>
<p>${fmtNumber(c.requests)} requests (${fmtNumber(c.failedRequests)} failed), ${fmtNumber(c.iterations)} iterations, ${fmtNumber(c.dropped)} dropped, up to ${fmtNumber(c.maxVUsUsed)} VUs. Stages are dashed lines, fault windows are hatched, canary steps and decisions are numbered marks (see the timeline). Drag across a chart to zoom; double-click to reset.</p>
<div class="charts">
${charts || '<p>The run recorded no series to chart.</p>'}
</div></section>
<section id="endpoints"><h2>Endpoints</h2>${endpointsTable(record)}</section>
<section id="timeline"><h2>Timeline</h2>${timelineTable(record)}</section>
<section id="analysis"><h2>Analysis</h2>${analysisSection(record) || '<p>This scenario asked for no breakpoint, recovery or drift analysis.</p>'}</section>
<section id="generator"><h2>Generator health</h2>${generatorSection(record)}</section>
<section id="environment"><h2>Environment and versions</h2>${environmentSection(record)}</section>
<footer>Rendered by rushhour from <code>run.json</code> (schema ${record.schema}). Self-contained: this file makes no network requests.</footer>`;
  return page({ title: `${record.verdict ? (record.verdict.ok ? '✓' : '✗') : '⚠'} ${record.name} · rushhour ${record.kind} report`, body, charts: { model } });
}
