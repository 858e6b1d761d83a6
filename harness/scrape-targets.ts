import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scrapeTargetFiles, type ScrapeTarget } from './stack-plan.ts';

/** Where a stack's Prometheus target lists live on this host (bind-mounted into a container). */
export const scrapeTargetsDir = (runDir: string) => path.join(runDir, 'prometheus', 'targets');

/**
 * Writes the file_sd target lists (Prometheus watches them: an instance started later is
 * scraped within a second or two, without a reload). Each file is replaced by a rename, so
 * Prometheus never reads half of one.
 */
export function writeScrapeTargets(ctx: { runDir: string }, targets: readonly ScrapeTarget[]): void {
  const dir = scrapeTargetsDir(ctx.runDir);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(scrapeTargetFiles(targets))) {
    writeFileSync(path.join(dir, `.${file}.tmp`), text);
    renameSync(path.join(dir, `.${file}.tmp`), path.join(dir, file));
  }
}

