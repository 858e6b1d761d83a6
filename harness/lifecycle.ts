import { setTimeout as sleep } from 'node:timers/promises';
import { debug } from './log.ts';

const log = debug('lifecycle');

interface Teardown {
  title: string;
  run: () => Promise<unknown>;
}

/**
 * Last-in-first-out teardown. Each step is registered as soon as the resource it undoes
 * exists, so a boot that fails half way unwinds exactly what it had built. Every step runs
 * even when an earlier one fails or hangs; `teardown()` is idempotent.
 */
export class Lifecycle implements AsyncDisposable {
  #steps: Teardown[] = [];
  #done: Promise<string[]> | null = null;

  defer(title: string, run: () => Promise<unknown>): void {
    if (this.#done) throw new Error(`lifecycle already torn down; cannot defer "${title}"`);
    this.#steps.push({ title, run });
  }

  /** Runs every step, newest first. Resolves with the failures, described, never rejects. */
  teardown(stepTimeoutMs = 15_000): Promise<string[]> {
    this.#done ??= this.#teardown(stepTimeoutMs);
    return this.#done;
  }

  async #teardown(stepTimeoutMs: number): Promise<string[]> {
    const failures: string[] = [];
    for (const step of this.#steps.reverse()) {
      log(`teardown: ${step.title}`);
      const outcome = await Promise.race([
        step.run().then(
          () => 'ok' as const,
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        ),
        sleep(stepTimeoutMs, 'hung' as const, { ref: false }),
      ]);
      if (outcome === 'hung') failures.push(`${step.title}: still running after ${stepTimeoutMs} ms`);
      else if (outcome !== 'ok') failures.push(`${step.title}: ${outcome}`);
    }
    return failures;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.teardown();
  }
}
