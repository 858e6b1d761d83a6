/**
 * Process exit codes. Stable: CI gates on them, so a number is never renumbered or reused.
 * The table is mirrored in README.md and checked by test/errors.test.ts.
 */
export const ExitCode = Object.freeze({
  /** The run passed every threshold, SLO, alert rule and invariant. */
  passed: 0,
  /** A bug in rushhour itself (an unexpected exception). */
  harnessBug: 1,
  /** Bad command line or configuration. */
  usage: 2,
  /** The environment could not boot (missing binary, component never became ready). */
  environment: 3,
  /** Thresholds or SLOs failed. */
  thresholdsFailed: 99,
  /** A data invariant was violated: data lost or corrupted. */
  invariantViolated: 100,
  /** The canary was rolled back. */
  canaryRolledBack: 101,
  /** Interrupted by SIGINT or SIGTERM. */
  interrupted: 130,
});

export type ExitCodeName = keyof typeof ExitCode;
export type ExitCodeValue = (typeof ExitCode)[ExitCodeName];
