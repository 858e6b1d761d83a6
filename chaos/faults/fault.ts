import { randomUUID } from 'node:crypto';
import { recordFault, runUndo, strikeFault, type Undo } from '../../harness/fault-ledger.ts';
import type { ComponentControls, Topology } from '../../harness/index.ts';

// What every fault shares: it is injected against a running stack, leaves an entry in the
// fault ledger *before* it acts (so a crash between the two still leaves the undo behind), and
// hands back a handle whose revert is idempotent and never throws: problems are returned, so
// every other rollback still runs (Chaos Toolkit: a failing rollback must not stop the rest).

export interface FaultContext {
  topology: Topology;
  controls: ComponentControls;
  /** Where the fault ledger lives (the stack's project directory). */
  cwd?: string;
}

export interface ActiveFault {
  id: string;
  /** "redis: crash" — what the timeline and the report show. */
  label: string;
  /** Puts things back; a second call does nothing. Resolves with the problems met (empty when clean). */
  revert(): Promise<string[]>;
}

/**
 * Builds a fault handle: `undo` goes to the ledger before `act` runs; `restore` is the injecting
 * process's own, better revert (it can restart a component, stop its loops), falling back to
 * the ledger's undo steps when it fails.
 */
export async function injectWith(
  context: FaultContext,
  label: string,
  undo: Undo[],
  act: () => Promise<void>,
  restore: () => Promise<void>,
): Promise<ActiveFault> {
  const id = randomUUID();
  recordFault({ id, label, pid: process.pid, stack: context.topology.runId, injectedAt: new Date().toISOString(), undo }, context.cwd);
  let reverted: Promise<string[]> | null = null;
  const revert = () =>
    (reverted ??= (async () => {
      const problems: string[] = [];
      try {
        await restore();
      } catch (error) {
        problems.push(`${label}: ${(error as Error).message}`);
        for (const step of undo) {
          const problem = await runUndo(step);
          if (problem) problems.push(`${label}: ${problem}`);
        }
      }
      strikeFault(id, context.cwd);
      return problems;
    })());
  try {
    await act();
  } catch (error) {
    // Half-injected is still injected: put back whatever did happen, then report the failure.
    await revert();
    throw error;
  }
  return { id, label, revert };
}
