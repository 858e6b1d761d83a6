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

/** One testsuite per run: its checks as testcases; a run without a verdict is an error. */
function runSuite(record: RunRecord, properties: Record<string, string> = {}): { xml: string; tests: number; failures: number; errors: number } {
  const checks = record.verdict?.checks ?? [];
  const failures = checks.filter((check) => !check.ok).length;
  const time = ((record.durationMs ?? 0) / 1_000).toFixed(3);
  const classname = `rushhour.${escape(record.kind)}.${escape(record.name)}`;
  const cases = checks.map((check) => {
    const name = `${check.kind}: ${check.name} ${check.expression}`;
    const observed = check.observed === null ? 'no data' : String(check.observed);
    const body = check.ok ? '' : `\n      <failure message="${escape(`observed ${observed}, target ${check.target}${check.note ? ` (${check.note})` : ''}`)}" type="${check.kind}">${escape(`${name}\nobserved: ${observed}\ntarget: ${check.target}\nwindow: ${check.window}`)}</failure>\n    `;
    return `    <testcase classname="${classname}" name="${escape(name)}" time="0">${body}</testcase>`;
  });
  // A run that was interrupted or ended without a verdict is an error, never a pass, even
  // when the checks it got to evaluate held.
  const incomplete = !record.verdict || record.status === 'interrupted';
  const errors = incomplete ? 1 : 0;
  if (incomplete) cases.push(`    <testcase classname="${classname}" name="run" time="${time}">\n      <error message="${escape(`run ${record.status}`)}" type="${escape(record.status)}"/>\n    </testcase>`);
  const xml = `  <testsuite name="${escape(`${record.kind} ${record.name}`)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="${time}" timestamp="${escape(record.startedAt.replace(/\.\d+Z$/, ''))}" hostname="${escape(record.machine.hostname)}">\n    <properties>\n      <property name="run.id" value="${escape(record.id)}"/>\n      <property name="provider" value="${escape(record.provider)}"/>\n      <property name="scale" value="${record.scale}"/>\n${Object.entries(properties).map(([name, value]) => `      <property name="${escape(name)}" value="${escape(value)}"/>\n`).join('')}    </properties>\n${cases.join('\n')}\n  </testsuite>`;
  return { xml, tests: cases.length, failures, errors };
}

type Suite = ReturnType<typeof runSuite> & { skipped?: number };

const wrap = (suites: readonly Suite[]) => {
  const sum = (key: 'tests' | 'failures' | 'errors') => suites.reduce((total, suite) => total + suite[key], 0);
  // <testsuites> has no `skipped` attribute in the schema CI systems read; each suite says its own.
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="rushhour" tests="${sum('tests')}" failures="${sum('failures')}" errors="${sum('errors')}">\n${suites.map((s) => s.xml).join('\n')}\n</testsuites>\n`;
};

export function renderJUnit(records: readonly RunRecord[]): string {
  return wrap(records.map((record) => runSuite(record)));
}

/** One part of a night (`rushhour nightly`): its run, or why there is none. */
export interface NightlyPartResult {
  kind: 'load' | 'chaos' | 'canary';
  name: string;
  /** null: the part never ran (the night was interrupted first). */
  exitCode: number | null;
  status: string;
  runId: string | null;
  durationMs: number;
  /** Why the part has no run: the error that stopped it, or the interrupt. */
  error?: string;
  /** A first run set aside and run again: its checks failed. */
  setAside?: { runId: string; exitCode: number; reason: string };
  /** The first run failed and the second passed. */
  flaky?: boolean;
  record?: RunRecord;
}

/**
 * The night's one JUnit file: every run's suite as in its own junit.xml, and for a part that
 * could not run a suite with one errored testcase (or a skipped one, when the night was
 * interrupted before it), so a gate never reads a missing part as a pass.
 */
export function renderNightlyJUnit(parts: readonly NightlyPartResult[]): string {
  return wrap(
    parts.map((part): Suite => {
      if (part.record) return runSuite(part.record, part.setAside ? { 'rerun.of': part.setAside.runId, 'rerun.reason': part.setAside.reason, flaky: String(part.flaky === true) } : {});
      const classname = `rushhour.${escape(part.kind)}.${escape(part.name)}`;
      const time = (part.durationMs / 1_000).toFixed(3);
      const skipped = part.exitCode === null;
      const body = skipped ? `<skipped message="${escape(part.error ?? 'not run')}"/>` : `<error message="${escape(part.error ?? 'no run')}" type="exit ${part.exitCode}"/>`;
      const xml = `  <testsuite name="${escape(`${part.kind} ${part.name}`)}" tests="1" failures="0" errors="${skipped ? 0 : 1}" skipped="${skipped ? 1 : 0}" time="${time}">\n    <testcase classname="${classname}" name="run" time="${time}">\n      ${body}\n    </testcase>\n  </testsuite>`;
      return { xml, tests: 1, failures: 0, errors: skipped ? 0 : 1, skipped: skipped ? 1 : 0 };
    }),
  );
}
