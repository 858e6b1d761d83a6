// The example GitHub Actions workflow cannot run here (no GitHub runner), so what can be checked
// is checked: it parses, it runs on a schedule, it runs the nightly npm script with the flags the
// CLI accepts, and the paths it publishes and uploads are the ones `rushhour nightly --out` writes.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import pkg from '../package.json' with { type: 'json' };
import { commands } from '../cli/commands.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

const workflow = parse(readFileSync('.github/workflows/nightly.yml', 'utf8')) as {
  on: { schedule: { cron: string }[]; workflow_dispatch?: unknown };
  jobs: Record<string, { 'runs-on': string; container?: string; steps: Step[]; env?: Record<string, string> }>;
};
const job = Object.values(workflow.jobs)[0]!;
const stepRunning = (text: string) => job.steps.find((s) => s.run?.includes(text));

test('runs every night on a schedule, and by hand', () => {
  expect(workflow.on.schedule.length).toBeGreaterThan(0);
  // Five fields, every day.
  expect(workflow.on.schedule[0]!.cron).toMatch(/^\S+ \S+ \* \* \*$/);
  expect(workflow.on.workflow_dispatch).toBeDefined();
});

test('runs the nightly npm script with options the command accepts, into runs/nightly', () => {
  expect(pkg.scripts.nightly).toBe('node bin/rushhour.mjs nightly');
  const step = stepRunning('npm run nightly')!;
  expect(step).toBeDefined();
  const args = step.run!.slice(step.run!.indexOf('--') + 2).trim().split(/\s+/);
  const accepted = Object.keys(commands.nightly!.options).map((o) => `--${o}`);
  for (const arg of args.filter((a) => a.startsWith('--'))) expect(accepted).toContain(arg);
  expect(args.slice(args.indexOf('--out'))[1]).toBe('runs/nightly');
  // The installs come before the night.
  const installs = job.steps.findIndex((s) => s.run?.includes('install-deps'));
  expect(installs).toBeGreaterThanOrEqual(0);
  expect(installs).toBeLessThan(job.steps.indexOf(step));
});

test('publishes the combined JUnit, the job summary and uploads runs/, even when the night failed', () => {
  const junit = job.steps.find((s) => s.with?.report_paths !== undefined)!;
  expect(junit.with!.report_paths).toBe('runs/nightly/junit.xml');
  expect(junit.if).toBe('always()');
  const summary = stepRunning('GITHUB_STEP_SUMMARY')!;
  expect(summary.run).toContain('runs/nightly/summary.md');
  expect(summary.if).toBe('always()');
  const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
  expect(upload.with!.path).toBe('runs/');
  expect(upload.if).toBe('always()');
});
