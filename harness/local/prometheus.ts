import { cpSync } from 'node:fs';
import path from 'node:path';
import { isHttpOk } from '../http.ts';
import { sutRoot } from '../paths.ts';
import { writeScrapeTargets } from '../scrape-targets.ts';
import type { ScrapeTarget } from '../stack-plan.ts';
import type { LocalComponent } from './component.ts';
import { remainingMs, startComponent, type LocalContext } from './context.ts';

/**
 * Prometheus with the SUT's own scrape config and alert/recording rules. The config names its
 * targets through file_sd (targets/<job>.json), so the SUT's file is used as shipped and only
 * the target lists, which hold this stack's ports, are written here.
 */
export async function startPrometheus(ctx: LocalContext, binary: string, port: number, targets: readonly ScrapeTarget[]): Promise<LocalComponent> {
  const dir = path.join(ctx.runDir, 'prometheus');
  cpSync(path.join(sutRoot, 'prometheus', 'prometheus.yml'), path.join(dir, 'prometheus.yml'));
  cpSync(path.join(sutRoot, 'prometheus', 'rules'), path.join(dir, 'rules'), { recursive: true });
  writeScrapeTargets(ctx, targets);
  const args = [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=1d',
    '--log.level=warn',
  ];
  const component = startComponent(ctx, { name: 'prometheus', command: binary, args }, { ready: { probe: () => isHttpOk(`http://127.0.0.1:${port}/-/ready`), what: 'ready' } });
  await component.waitReady(remainingMs(ctx), ctx.signal);
  return component;
}
