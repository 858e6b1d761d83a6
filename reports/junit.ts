import type { RunRecord } from '../harness/index.ts';

// JUnit XML from run.json: one testsuite per run, one testcase per threshold, SLO, alert gate
// and invariant (k6's jslib makes one per threshold only). The shape CI systems read: the
// Ant/Surefire schema (testsuites > testsuite > testcase [> failure]).

const escape = (text: string) =>
  text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

export function renderJUnit(records: readonly RunRecord[]): string {
  const suites = records.map((record) => {
    const checks = record.verdict?.checks ?? [];
    const failures = checks.filter((check) => !check.ok).length;
    const time = ((record.durationMs ?? 0) / 1_000).toFixed(3);
    const cases = checks.map((check) => {
      const name = `${check.kind}: ${check.name} ${check.expression}`;
      const observed = check.observed === null ? 'no data' : String(check.observed);
      const body = check.ok ? '' : `\n      <failure message="${escape(`observed ${observed}, target ${check.target}${check.note ? ` (${check.note})` : ''}`)}" type="${check.kind}">${escape(`${name}\nobserved: ${observed}\ntarget: ${check.target}\nwindow: ${check.window}`)}</failure>\n    `;
      return `    <testcase classname="rushhour.${escape(record.kind)}.${escape(record.name)}" name="${escape(name)}" time="0">${body}</testcase>`;
    });
    // A run that was interrupted or ended without a verdict is an error, never a pass, even
    // when the checks it got to evaluate held.
    const incomplete = !record.verdict || record.status === 'interrupted';
    const errors = incomplete ? 1 : 0;
    if (incomplete) cases.push(`    <testcase classname="rushhour.${escape(record.kind)}.${escape(record.name)}" name="run" time="${time}">\n      <error message="${escape(`run ${record.status}`)}" type="${escape(record.status)}"/>\n    </testcase>`);
    return `  <testsuite name="${escape(`${record.kind} ${record.name}`)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="${time}" timestamp="${escape(record.startedAt.replace(/\.\d+Z$/, ''))}" hostname="${escape(record.machine.hostname)}">\n    <properties>\n      <property name="run.id" value="${escape(record.id)}"/>\n      <property name="provider" value="${escape(record.provider)}"/>\n      <property name="scale" value="${record.scale}"/>\n    </properties>\n${cases.join('\n')}\n  </testsuite>`;
  });
  const tests = records.reduce((sum, r) => sum + (r.verdict?.checks.length ?? 0) + (!r.verdict || r.status === 'interrupted' ? 1 : 0), 0);
  const failures = records.reduce((sum, r) => sum + (r.verdict?.checks.filter((c) => !c.ok).length ?? 0), 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="rushhour" tests="${tests}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}
