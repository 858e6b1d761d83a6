// The nightly gate end to end, exactly as CI runs it: `npm run nightly -- --scale 0.1` (the
// ramp, every built-in chaos experiment, every canary plan, each on a local stack it boots).
// This one night is also where the built-in experiments and canary plans are tested: each must
// pass at --scale 0.1 with its fault in and out again, v2 must be promoted step by step and
// v2-regressed rolled back at its first analysis, the read-routing flag promoted. Then the
// night's own outputs: one runs index, one combined JUnit (valid against the schema CI systems
// read), nightly.json and summary.md, exit the worst of the parts, and nothing left behind: no
// stack, no fault, no candidate. A part that fails its second run too on timing checks alone,
// while its record blames the machine, is accepted as the scenario tests accept one on their
// last try: the night must then exit 99 and say so, and the test summary names the excuse.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { builtinCanaries } from '../canary/plans/index.ts';
import { builtinExperiments } from '../chaos/experiments/index.ts';
import { faultsInForce, readState, type RunRecord } from '../harness/index.ts';
import { scratchDir } from './support/cli.ts';
import { excusedLatencyMiss, isTimingCheck } from './support/machine-excuse.ts';
import { candidateProcesses } from './support/processes.ts';

const repo = path.resolve('.');
// Two matching instances: instance-crash kills one and the canary's baseline is a group.
const config = `export default {
  provider: 'local',
  stack: { matching: { replicas: 2 }, booking: { replicas: 1 } },
  fixtures: { routes: 500, drivers: 200, riders: 200 },
};
`;

let night: { code: number | null; output: string; dir: string };
const nightly = () => JSON.parse(readFileSync(path.join(night.dir, 'nightly.json'), 'utf8')) as { exitCode: number; scale: number; parts: { kind: string; name: string; exitCode: number | null; runId: string | null; status: string; setAside?: { runId: string; reason: string } }[] };
const recordOf = (name: string): RunRecord => {
  const part = nightly().parts.find((p) => p.name === name)!;
  return JSON.parse(readFileSync(path.join(night.dir, part.runId!, 'run.json'), 'utf8'));
};

/**
 * The parts that failed their second run too (exit 99) on timing checks alone while their run's
 * record blames the machine, each with why (machine-excuse.ts, the rule the scenario tests use
 * on their last try); empty when every part passed or when any failure is not so excused, and
 * then the tests below fail on it. Canary parts are never excused: both arms share the machine.
 */
function excusedParts(): Map<string, string> {
  const excused = new Map<string, string>();
  for (const part of nightly().parts.filter((p) => p.exitCode !== 0)) {
    const why = part.exitCode === 99 && part.kind !== 'canary' && part.runId ? excusedLatencyMiss(recordOf(part.name)) : null;
    if (!why) return new Map();
    excused.set(part.name, why);
  }
  return excused;
}

beforeAll(async () => {
  const scratch = scratchDir({ 'nightly.config.ts': config });
  const dir = path.join(scratch, 'night');
  // The npm script itself, from the project's root, as CI and the README run it.
  const child = spawn('npm', ['run', '--silent', 'nightly', '--', '--scale', '0.1', '--config', path.join(scratch, 'nightly.config.ts'), '--out', dir], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGINT'), 50 * 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  night = { code, output, dir };
}, 55 * 60_000);

describe('npm run nightly -- --scale 0.1', () => {
  test('every part passes, so the night exits 0', ({ task }) => {
    const parts = nightly().parts;
    expect(parts.map((p) => `${p.kind} ${p.name}`)).toEqual(['load ramp', ...Object.keys(builtinExperiments).map((n) => `chaos ${n}`), ...Object.keys(builtinCanaries).map((n) => `canary ${n}`)]);
    const excused = excusedParts();
    if (excused.size > 0) {
      // The night's own verdict stands (exit 99, as CI would gate on it); the test accepts it
      // only as the machine's, and the test summary says so.
      expect(night.code, night.output.slice(-6_000)).toBe(99);
      expect(nightly()).toMatchObject({ exitCode: 99, scale: 0.1 });
      task.meta.machineExcuse = [...excused].map(([name, why]) => `${name}: ${why}`).join('; ');
      return;
    }
    expect(night.code, night.output.slice(-6_000)).toBe(0);
    expect(parts.filter((p) => p.exitCode !== 0)).toEqual([]);
    expect(nightly()).toMatchObject({ exitCode: 0, scale: 0.1 });
  });

  test('the ramp ran scaled and passed its thresholds', () => {
    const ramp = recordOf('ramp');
    expect(ramp).toMatchObject({ kind: 'load', name: 'ramp', scale: 0.1, status: 'finished' });
    expect(ramp.verdict!.ok || excusedParts().has('ramp')).toBe(true);
    expect(existsSync(path.join(night.dir, ramp.id, 'junit.xml'))).toBe(true);
  });

  test('one runs index over the night, one combined JUnit valid against the JUnit schema, a job summary', () => {
    const runs = readdirSync(night.dir).filter((entry) => /^\d{8}-/.test(entry));
    // A part run twice (its first run failed while the generator was the bottleneck) keeps both runs.
    const setAside = nightly().parts.flatMap((p) => (p.setAside ? [p.setAside.runId] : []));
    expect(runs.sort()).toEqual([...nightly().parts.map((p) => p.runId!), ...setAside].sort());
    const index = readFileSync(path.join(night.dir, 'index.html'), 'utf8');
    for (const run of runs) expect(index).toContain(`${run}/report.html`);
    const junit = readFileSync(path.join(night.dir, 'junit.xml'), 'utf8');
    expect(junit.match(/<testsuite /g)).toHaveLength(nightly().parts.length);
    for (const id of setAside) expect(junit).toContain(`<property name="rerun.of" value="${id}"/>`);
    for (const part of nightly().parts) expect(junit).toContain(`<testsuite name="${part.kind} ${part.name}"`);
    const excused = excusedParts().size;
    expect(junit).toMatch(excused ? /<testsuites name="rushhour" tests="\d+" failures="[1-9]\d*" errors="0">/ : /<testsuites name="rushhour" tests="\d+" failures="0" errors="0">/);
    const lint = spawnSync('xmllint', ['--noout', '--schema', 'test/fixtures/junit/junit-4.xsd', path.join(night.dir, 'junit.xml')], { encoding: 'utf8' });
    expect(lint.status, lint.stderr).toBe(0);
    const summary = readFileSync(path.join(night.dir, 'summary.md'), 'utf8');
    const parts = nightly().parts.length;
    expect(summary).toContain(excused ? '### rushhour nightly: ❌ **FAILED** (exit 99)' : '### rushhour nightly: ✅ **PASSED** (exit 0)');
    expect(summary).toContain(`${parts - excused} of ${parts} parts passed`);
  });

  test('nothing is left behind: no stack, no fault in force, no candidate instance', () => {
    expect(readState(repo)).toBeNull();
    expect(faultsInForce(repo)).toEqual([]);
    expect(candidateProcesses()).toEqual([]);
  });
});

describe.each(Object.keys(builtinExperiments))('the built-in experiment %s, in the night', (name) => {
  test('passed at --scale 0.1 on a stack it booted; its fault went in and came out', () => {
    const record = recordOf(name);
    expect(record).toMatchObject({ kind: 'chaos', name, status: 'finished', scale: 0.1 });
    const kinds = record.timeline.map((e) => e.kind);
    expect(kinds).toContain('fault-injected');
    expect(kinds).toContain('fault-reverted');
    const names = record.verdict!.checks.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['faults injected and reverted', 'recovery time', 'no acknowledged booking is missing', 'no route is over capacity']));
    if (builtinExperiments[name]!.alerts) expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/ fires$/), expect.stringMatching(/ resolves$/)]));
    expect(record.verdict!.checks.filter((c) => !c.ok && !(excusedParts().has(name) && isTimingCheck(c)))).toEqual([]);
  });
});

describe('the built-in canary plans, in the night', () => {
  test('matching-v2 is promoted step by step, every analysis comparing real samples of both versions', () => {
    const v2 = recordOf('matching-v2');
    expect(v2.kind).toBe('canary');
    expect(v2.canary).toMatchObject({ service: 'matching', baseline: '1.0.0', candidate: { version: '2.0.0', variant: 'v2' }, expect: 'promote', outcome: 'promoted' });
    expect(v2.canary!.journal.filter((e) => e.kind === 'weight').map((e) => e.weight)).toEqual([10, 25, 50, 100]);
    const analyses = v2.canary!.journal.filter((e) => e.kind === 'analysis');
    expect(analyses.map((a) => [a.weight, a.analysis!.phase, a.decision])).toEqual([
      [10, 'successful', 'continue'],
      [25, 'successful', 'continue'],
      [50, 'successful', 'continue'],
    ]);
    for (const analysis of analyses) {
      const search = analysis.analysis!.comparison!.metrics.find((m) => m.name === 'search latency')!;
      expect(search.classification).toBe('pass');
      expect(search.test!.n.experiment).toBeGreaterThanOrEqual(20);
      expect(search.test!.n.control).toBeGreaterThanOrEqual(20);
    }
    expect(v2.timeline.filter((e) => e.kind === 'canary-weight')).toHaveLength(4);
    expect(readFileSync(path.join(night.dir, v2.id, 'report.html'), 'utf8')).toContain('Canary: decision journal');
  });

  test('read-routing-nearby: the flag is promoted step by step, its "on" arm compared with its "off" arm', () => {
    const flag = recordOf('read-routing-nearby');
    expect(flag.canary).toMatchObject({ baseline: 'read-routing.nearby=off', candidate: { version: 'read-routing.nearby=on', flag: 'read-routing.nearby' }, outcome: 'promoted' });
    const analyses = flag.canary!.journal.filter((e) => e.kind === 'analysis');
    expect(analyses.map((a) => [a.weight, a.analysis!.phase])).toEqual([
      [10, 'successful'],
      [25, 'successful'],
      [50, 'successful'],
    ]);
    for (const analysis of analyses) {
      const nearby = analysis.analysis!.comparison!.metrics.find((m) => m.name === 'nearby latency')!;
      expect(nearby.test!.n.experiment).toBeGreaterThanOrEqual(20);
      // The gateway's per-arm counter answered the flag's threshold.
      expect(analysis.analysis!.thresholds[0]!.observed).not.toBeNull();
    }
  });

  test('matching-v2-regressed is rolled back at its first analysis, as its plan expects', () => {
    const regressed = recordOf('matching-v2-regressed');
    expect(regressed.canary).toMatchObject({ candidate: { version: '2.0.1-regressed', variant: 'v2-regressed' }, expect: 'rollback', outcome: 'rolled-back' });
    const first = regressed.canary!.journal.find((e) => e.kind === 'analysis')!;
    expect(first).toMatchObject({ weight: 10, decision: 'rollback' });
    expect(first.analysis!.comparison!.metrics.find((m) => m.name === 'search latency')!.classification).toBe('high');
    expect(regressed.canary!.journal.filter((e) => e.kind === 'weight').map((e) => e.weight)).toEqual([10]);
    expect(regressed.canary!.reason).toMatch(/critical metric search latency is high/);
  });
});
