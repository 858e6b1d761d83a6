import { ExitCode, type ExitCodeValue } from './exit-codes.ts';

/**
 * The one catalogue of rushhour's errors. Codes are stable and documented in docs/errors.md
 * (a test keeps the two in step); a retired code is never reused.
 */
export const errorCatalogue = {
  RUSHHOUR_ERR_USAGE: { exit: ExitCode.usage, hint: 'Run `npx rushhour --help` for the commands and flags.' },
  RUSHHOUR_ERR_CONFIG_NOT_FOUND: { exit: ExitCode.usage, hint: 'Create harness.config.ts at the project root, or pass --config FILE.' },
  RUSHHOUR_ERR_CONFIG_LOAD: { exit: ExitCode.usage, hint: 'The config file must `export default defineConfig({...})` and import without errors.' },
  RUSHHOUR_ERR_CONFIG_INVALID: { exit: ExitCode.usage, hint: 'Fix the fields listed above; docs/configuration.md describes each one.' },
  RUSHHOUR_ERR_THRESHOLD_INVALID: { exit: ExitCode.usage, hint: 'Thresholds follow k6: `p(95)<200`, `rate<0.01`, `count>0` on a metric or `metric{tag:value}`; see docs/scenarios.md.' },
  RUSHHOUR_ERR_SLO_INVALID: { exit: ExitCode.usage, hint: "Prometheus rejected the expression; its message above gives the position. Test it in Prometheus's own UI first." },
  RUSHHOUR_ERR_SCENARIO_NOT_FOUND: { exit: ExitCode.usage, hint: 'Run `npx rushhour list` for the built-in scenarios, or pass a path to a scenario file.' },
  RUSHHOUR_ERR_SCENARIO_INVALID: { exit: ExitCode.usage, hint: 'Fix the fields listed above; docs/scenarios.md describes a scenario file.' },
  RUSHHOUR_ERR_TARGET_NOT_ALLOWED: { exit: ExitCode.usage, hint: 'Load goes to loopback or the stack only; pass --allow-remote-target for a system you own.' },
  RUSHHOUR_ERR_THRESHOLDS_FAILED: { exit: ExitCode.thresholdsFailed, hint: 'The failing checks are listed above and in runs/<id>/run.json.' },
  RUSHHOUR_ERR_INVARIANT_VIOLATED: { exit: ExitCode.invariantViolated, hint: 'Data was lost or corrupted: the offending ids are above and in runs/<id>/run.json (verdict and invariants).' },
  RUSHHOUR_ERR_STATE_CORRUPT: { exit: ExitCode.usage, hint: 'Run `npx rushhour down` to reap the stack and remove the state file.' },
  RUSHHOUR_ERR_RUN_NOT_FOUND: { exit: ExitCode.usage, hint: 'Give a run folder (runs/<id>) holding the run.json that `rushhour run` wrote; `ls runs` lists them.' },
  RUSHHOUR_ERR_STACK_NOT_UP: { exit: ExitCode.usage, hint: 'Start one with `npx rushhour up`.' },
  RUSHHOUR_ERR_BINARY_MISSING: { exit: ExitCode.environment, hint: 'Run `npx rushhour install-deps`, or install the packages named above.' },
  RUSHHOUR_ERR_INSTALL_FAILED: { exit: ExitCode.environment, hint: 'Install the packages named above by hand, then retry.' },
  RUSHHOUR_ERR_BOOT_FAILED: { exit: ExitCode.environment, hint: 'The log tail above says why; every component that had started was stopped again.' },
  RUSHHOUR_ERR_COMPONENT_NOT_READY: { exit: ExitCode.environment, hint: 'The component started but never became ready; its log tail is above.' },
  RUSHHOUR_ERR_PROVIDER_UNAVAILABLE: { exit: ExitCode.environment, hint: 'Use `--provider local`, or start a Docker engine.' },
  RUSHHOUR_ERR_IMAGE_UNAVAILABLE: { exit: ExitCode.environment, hint: 'Build the images without a registry: `npx rushhour images build --offline` (or set containers.imageSource).' },
  RUSHHOUR_ERR_IMAGE_BUILD_FAILED: { exit: ExitCode.environment, hint: 'The build step and its output are above; `npx rushhour images build --offline --debug` shows every command.' },
  RUSHHOUR_ERR_K6_MISSING: { exit: ExitCode.environment, hint: 'Install k6 and put it on PATH, or run without --driver k6: the rushhour driver runs every built-in scenario.' },
  RUSHHOUR_ERR_K6_SUMMARY_INVALID: { exit: ExitCode.environment, hint: 'The twin must export handleSummary from scenarios/k6/lib.ts; k6 output is in the run directory.' },
  RUSHHOUR_ERR_PROBE_FAILED: { exit: ExitCode.thresholdsFailed, hint: 'The SUT answered, but not as DESIGN.md says; the failing requests are listed above.' },
  RUSHHOUR_ERR_FAULT_FAILED: { exit: ExitCode.environment, hint: 'The fault could not be injected; whatever part of it took effect was reverted. The message above says which call failed.' },
  RUSHHOUR_ERR_CANARY_ROLLED_BACK: { exit: ExitCode.canaryRolledBack, hint: 'The decision journal (runs/<id>/run.json, canary; and the report) says which analysis or trigger rolled it back.' },
  RUSHHOUR_ERR_CANARY_FAILED: { exit: ExitCode.environment, hint: "The gateway's admin API refused a rollout step (message above); the candidate was taken out and stopped." },
  RUSHHOUR_ERR_INTERRUPTED: { exit: ExitCode.interrupted, hint: 'Everything the command had started was torn down.' },
  RUSHHOUR_ERR_INTERNAL: { exit: ExitCode.harnessBug, hint: 'This is a bug in rushhour; rerun with --debug for the stack trace.' },
} as const satisfies Record<string, { exit: ExitCodeValue; hint: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export class RushhourError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCodeValue;
  readonly hint: string;
  /** Extra lines shown under the message: one per invalid field, a log tail, ... */
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: readonly string[]; hint?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RushhourError';
    this.code = code;
    this.exitCode = errorCatalogue[code].exit;
    this.hint = options.hint ?? errorCatalogue[code].hint;
    this.details = Object.freeze([...(options.details ?? [])]);
  }
}

export function isRushhourError(error: unknown): error is RushhourError {
  return error instanceof RushhourError;
}

/** Wraps anything thrown into a RushhourError, keeping the original as `cause`. */
export function asRushhourError(error: unknown): RushhourError {
  if (isRushhourError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RushhourError('RUSHHOUR_ERR_INTERNAL', message, { cause: error });
}

/** The text the CLI prints for an error: code, message, details, hint, never a stack unless asked. */
export function formatError(error: RushhourError, debug = false): string {
  const lines = [`${error.code}: ${error.message}`];
  for (const detail of error.details) lines.push(`  ${detail}`);
  lines.push(`hint: ${error.hint}`);
  if (debug) {
    lines.push(error.stack ?? '');
    if (error.cause instanceof Error && error.cause.stack) lines.push(`cause: ${error.cause.stack}`);
  }
  return lines.join('\n');
}
