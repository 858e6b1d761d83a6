import type { Reporter, TestModule } from 'vitest/node';
// Types only: the TaskMeta field `machineExcuse` that latestRunPassed writes.
import type {} from './machine-excuse.ts';

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own
 * summary, so CI logs can be read without knowing vitest's format. A test that passed only on
 * its retry is counted as passed and named on a line of its own: a pass, but not a quiet one. So
 * is a test that accepted a timing miss its run's record lays on the machine (machine-excuse.ts).
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const flaky: string[] = [];
    const excused: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed' && test.diagnostic()?.flaky) flaky.push(test.fullName);
        const excuse = test.meta().machineExcuse;
        if (state === 'passed' && excuse) excused.push(`${test.fullName}: ${excuse}`);
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      // A file that failed to load has no tests but is a failure all the same.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) counts.failed++;
    }
    for (const name of flaky) process.stdout.write(`\nflaky (passed on its retry): ${name}`);
    for (const line of excused) process.stdout.write(`\nexcused by the machine (a timing check missed, the run's record says why): ${line}`);
    const notes = [flaky.length ? `${flaky.length} flaky` : null, excused.length ? `${excused.length} excused by the machine` : null].filter(Boolean);
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${notes.length ? ` (${notes.join(', ')})` : ''}\n`);
  }
}
