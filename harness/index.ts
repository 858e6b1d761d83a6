// The harness's public API: what scenarios, chaos, canary, the CLI and users' config files use.
export { defineConfig, loadConfig, resolveConfig, harnessDefaults, DEFAULT_CONFIG_FILE } from './config/resolve.ts';
export type { UserConfig, ResolvedConfig } from './config/schema.ts';
export { errorCatalogue, RushhourError, isRushhourError, asRushhourError, formatError, type ErrorCode } from './errors.ts';
export { ExitCode, type ExitCodeName, type ExitCodeValue } from './exit-codes.ts';
export { up, chooseProvider } from './environment.ts';
export type { Topology, Endpoints, ComponentInfo, Provider, RunningStack } from './topology.ts';
export type { ComponentControls, ComponentState } from './controls.ts';
export { readState, writeState, removeState, stateFile, type StackState } from './state.ts';
export { ownStack } from './stack-owner.ts';
export { reapOrphans, type ReapReport } from './reaper.ts';
export { installDeps, findBinary, requireBinaries, localStackBinaries } from './binaries.ts';
export { probeStack, type ProbeStep } from './probe.ts';
export { isAlive } from './process.ts';
export { checkHealth, type ComponentHealth } from './health.ts';
export { buildOfflineImages, resolveImages, type StackImages } from './containers/images.ts';
export { ensureDockerEngine } from './containers/engine.ts';
export { dockerAnswers, requireDocker } from './containers/docker.ts';
