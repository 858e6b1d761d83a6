import path from 'node:path';
import { isHttpOk } from '../http.ts';
import { sutRoot } from '../paths.ts';
import { runToCompletion } from '../process.ts';
import { instanceEnv, type PlannedInstance } from '../stack-plan.ts';
import type { LocalComponent } from './component.ts';
import { logFile, remainingMs, startComponent, type LocalContext } from './context.ts';

export interface ServiceInstance extends PlannedInstance {
  port: number;
}

// The SUT is started as commands, never imported: it is a separate deployable. Its own build
// script bundles each service into dist/ (skipped when the sources are unchanged), so a
// service starts with plain node in a fraction of the time TypeScript-on-the-fly would take.
const dist = path.join(sutRoot, 'dist');

/** Starts one SUT service and registers its stop; readiness is awaited by `waitReady`. */
export function startService(ctx: LocalContext, instance: ServiceInstance, env: Record<string, string>): LocalComponent {
  return startComponent(
    ctx,
    { name: instance.name, command: process.execPath, args: [path.join(dist, `${instance.group}.mjs`)], cwd: sutRoot, env: { ...env, ...instanceEnv(instance, instance.port) } },
    { ready: { probe: () => isHttpOk(`http://127.0.0.1:${instance.port}/ready`), what: 'ready (/ready answered 200)', intervalMs: 50 } },
  );
}

/** Runs the SUT's build script (a no-op when dist/ matches the sources). */
export function buildSut(ctx: LocalContext): Promise<void> {
  return runToCompletion({ name: 'sut-build', command: process.execPath, args: [path.join(sutRoot, 'build.mjs')], cwd: sutRoot, logFile: logFile(ctx, 'sut-build') }, remainingMs(ctx), ctx.signal);
}

/** The SUT's own migration tool, run to completion against the primary. */
export function migrationCommand(): { command: string; args: string[]; cwd: string } {
  return { command: process.execPath, args: [path.join(dist, 'migrate.mjs')], cwd: sutRoot };
}
