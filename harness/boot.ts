import type { ComponentControls } from './controls.ts';
import { asRushhourError, RushhourError } from './errors.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { InstanceLauncher, RunningStack, Topology } from './topology.ts';

/** The abort side of one boot: the first failed step (or an interrupt) aborts every other step. */
export interface BootControl {
  signal: AbortSignal;
  abort: (reason: unknown) => void;
}

export function bootControl(outer?: AbortSignal): BootControl {
  const controller = new AbortController();
  const abort = (reason: unknown) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const interrupted = () => abort(new RushhourError('RUSHHOUR_ERR_INTERRUPTED', 'boot interrupted'));
  outer?.addEventListener('abort', interrupted, { once: true });
  if (outer?.aborted) interrupted();
  return { signal: controller.signal, abort };
}

/**
 * Runs boot steps in parallel, but unlike Promise.all never leaves a step running behind a
 * failure: the first failure aborts the boot signal, every other step is awaited until it has
 * settled, and only then is the first failure thrown (so teardown sees everything started).
 */
export async function allSteps<T extends readonly unknown[]>(boot: BootControl, steps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(
    (steps as readonly Promise<unknown>[]).map((step) =>
      step.catch((error: unknown) => {
        boot.abort(error);
        throw error;
      }),
    ),
  );
  if (boot.signal.aborted) throw boot.signal.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * The error a failed boot ends with, after teardown: an interrupt wins over whatever error it
 * caused in the steps it cut short; teardown problems are appended; an unexpected error is a
 * boot failure (exit 3), not a harness bug.
 */
export function bootFailure(boot: BootControl, error: unknown, teardownFailures: readonly string[]): RushhourError {
  const reason = boot.signal.reason;
  const cause = reason instanceof RushhourError && reason.code === 'RUSHHOUR_ERR_INTERRUPTED' ? reason : error;
  const wrapped = asRushhourError(cause);
  const code = wrapped.code === 'RUSHHOUR_ERR_INTERNAL' ? 'RUSHHOUR_ERR_BOOT_FAILED' : wrapped.code;
  if (code === wrapped.code && teardownFailures.length === 0) return wrapped;
  return new RushhourError(code, wrapped.message, {
    cause,
    details: [...wrapped.details, ...teardownFailures.map((failure) => `teardown: ${failure}`)],
    hint: code === wrapped.code ? wrapped.hint : undefined,
  });
}

/** The handle a provider returns: its topology and controls, torn down by its lifecycle. */
export function runningStack(topology: Topology, controls: ComponentControls, timings: Record<string, number>, lifecycle: Lifecycle, instances: InstanceLauncher): RunningStack {
  return {
    topology,
    controls,
    instances,
    timings,
    stop: () => lifecycle.teardown(),
    [Symbol.asyncDispose]: async () => {
      await lifecycle.teardown();
    },
  };
}
