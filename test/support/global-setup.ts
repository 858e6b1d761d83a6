import { readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { reapOrphans, up, type StackState } from '../../harness/index.ts';
import { testStackConfig } from './test-config.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackState;
  }
}

/** Boots the real local stack once for the whole run and tears it down at the end. */
export default async function setup(project: TestProject) {
  await reapOrphans();
  const stack = await up(testStackConfig, 'local');
  project.provide('stack', { ...stack.topology, pid: process.pid, startedAt: new Date().toISOString() });
  return async () => {
    // Scratch project dirs the CLI tests made (test/support/cli.ts).
    for (const entry of readdirSync(os.tmpdir())) if (entry.startsWith('rhtest-')) rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
    const failures = await stack.stop();
    if (failures.length) throw new Error(`stack teardown: ${failures.join('; ')}`);
  };
}
