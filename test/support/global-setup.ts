import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { reapOrphans, up, type StackState } from '../../harness/index.ts';
import { testStackConfig } from './test-config.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackState;
    /** Where this run's scratch project dirs go (test/support/cli.ts); removed at the end. */
    scratchRoot: string;
  }
}

/** Boots the real local stack once for the whole run and tears it down at the end. */
export default async function setup(project: TestProject) {
  await reapOrphans();
  const stack = await up(testStackConfig, 'local');
  project.provide('stack', { ...stack.topology, pid: process.pid, startedAt: new Date().toISOString() });
  // One root per test run: a second vitest run beside this one keeps its own scratch dirs.
  const scratchRoot = mkdtempSync(path.join(os.tmpdir(), 'rhtest-run-'));
  project.provide('scratchRoot', scratchRoot);
  return async () => {
    rmSync(scratchRoot, { recursive: true, force: true });
    const failures = await stack.stop();
    if (failures.length) throw new Error(`stack teardown: ${failures.join('; ')}`);
  };
}
