import type { ResolvedConfig } from './config/schema.ts';
import { up } from './environment.ts';
import { asRushhourError, type RushhourError } from './errors.ts';
import { ExitCode } from './exit-codes.ts';
import { reapOrphans } from './reaper.ts';
import { removeState, writeState, type StackState } from './state.ts';
import type { Provider } from './topology.ts';

export interface OwnerCallbacks {
  onReady: (state: StackState) => void;
  onError: (error: RushhourError) => void;
  onStopped?: (failures: string[]) => void;
  /** Lines to show while a long boot step runs (a first containers boot builds images). */
  onProgress?: (line: string) => void;
}

/**
 * Owns one stack for its whole life: boots it, publishes the state file, waits for SIGINT or
 * SIGTERM, tears it down, removes the state file. `up` runs this in a detached supervisor
 * process (or in the foreground with --attach); `down` sends the SIGTERM.
 */
export async function ownStack(config: ResolvedConfig, provider: Provider, callbacks: OwnerCallbacks): Promise<number> {
  await reapOrphans();
  const booting = new AbortController();
  let requestStop: (reason: string) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => {
    requestStop = resolve;
  });
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    signalled = true;
    booting.abort(sig);
    requestStop(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  let stack;
  try {
    stack = await up(config, provider, { signal: booting.signal, progress: callbacks.onProgress });
  } catch (error) {
    const rushhourError = asRushhourError(error);
    callbacks.onError(rushhourError);
    return signalled ? ExitCode.interrupted : rushhourError.exitCode;
  }
  // A crash of the owner must not leave the stack running: tear down, then exit non-zero.
  const crash = (error: unknown) => {
    callbacks.onError(asRushhourError(error));
    requestStop('crash');
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  const state: StackState = { ...stack.topology, pid: process.pid, startedAt: new Date().toISOString() };
  writeState(state);
  callbacks.onReady(state);
  const reason = await stopRequested;
  const failures = await stack.stop();
  removeState(process.pid);
  callbacks.onStopped?.(failures);
  return reason === 'crash' ? ExitCode.harnessBug : ExitCode.passed;
}
