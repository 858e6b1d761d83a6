import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// The pieces every HTML page of the reports shares: escaping, the stylesheet, the inlined
// chart library, and the page frame with a Content-Security-Policy that forbids every network
// request, so a report opened from an e-mail or an artifact never reaches out.

export const esc = (text: unknown): string =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON inside a <script> element: `</script>` and `<!--` cannot end or confuse it. */
export const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

export interface ChartAssets {
  uplotJs: string;
  uplotCss: string;
  clientJs: string;
}

let cached: ChartAssets | null = null;

/** uPlot's minified build and stylesheet from node_modules, and the report's own script. */
export function chartAssets(): ChartAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const dist = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  cached = {
    uplotJs: dist('uPlot.iife.min.js'),
    uplotCss: dist('uPlot.min.css'),
    clientJs: readFileSync(new URL('./client.js', import.meta.url), 'utf8'),
  };
  return cached;
}

const CSS = `
:root { color-scheme: light; --ok: #166534; --ok-bg: #dcfce7; --bad: #991b1b; --bad-bg: #fee2e2; --warn: #92400e; --warn-bg: #fef3c7; --line: #e4e4e7; --muted: #52525b; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #18181b; margin: 0; background: #fafafa; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
.sub { color: var(--muted); margin: 0 0 12px; }
.verdict { display: flex; gap: 16px; align-items: flex-start; padding: 14px 18px; border-radius: 8px; border: 2px solid; margin: 12px 0; }
.verdict.pass { background: var(--ok-bg); border-color: var(--ok); }
.verdict.fail { background: var(--bad-bg); border-color: var(--bad); }
.verdict.none { background: var(--warn-bg); border-color: var(--warn); }
.verdict .word { font-size: 22px; font-weight: 700; white-space: nowrap; }
.verdict ul { margin: 4px 0 0; padding-left: 18px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 13px; }
nav a { color: #1d4ed8; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
caption { text-align: left; color: var(--muted); padding: 4px 0; caption-side: top; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.expression { overflow-wrap: anywhere; }
td.target { white-space: nowrap; }
.result { font-weight: 600; white-space: nowrap; }
.result.pass { color: var(--ok); }
.result.fail { color: var(--bad); }
.result.skip { color: var(--warn); }
tr.fail td { background: #fff5f5; }
tr.worse td { background: #fff5f5; }
tr.better td { background: #f0fdf4; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 12px; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px; min-width: 0; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
figure h3 { margin: 0 0 4px; }
.plot { min-height: 240px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
pre { background: #fff; border: 1px solid var(--line); padding: 8px; overflow: auto; font-size: 12px; max-height: 420px; }
.warning { background: var(--warn-bg); border-left: 4px solid var(--warn); padding: 8px 12px; }
code { font-size: 12px; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
`;

/** A whole page: no external resource of any kind is referenced, and the CSP forbids any. */
export function page(options: { title: string; body: string; charts?: { model: unknown } }): string {
  const assets = options.charts ? chartAssets() : null;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'">
<meta name="generator" content="rushhour">
<title>${esc(options.title)}</title>
<style>${CSS}</style>
${assets ? `<style>${assets.uplotCss}</style>` : ''}
</head>
<body>
<main>
${options.body}
</main>
${assets ? `<script id="report-model" type="application/json">${scriptJson(options.charts!.model)}</script>\n<script>${assets.uplotJs}</script>\n<script>${assets.clientJs}</script>` : ''}
</body>
</html>
`;
}

/** Pass/fail as a word and a symbol, never by colour alone. */
export function resultCell(ok: boolean | null, skipped = false): string {
  if (skipped) return '<td class="result skip">– skipped</td>';
  if (ok === null) return '<td class="result skip">? no verdict</td>';
  return ok ? '<td class="result pass">✓ pass</td>' : '<td class="result fail">✗ fail</td>';
}

export const fmtMs = (value: number | null | undefined): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value >= 1_000 ? `${(value / 1_000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 1)} ms`;

export const fmtNumber = (value: number | null | undefined, digits = 2): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(digits);
