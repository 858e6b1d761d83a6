import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isHttpOk } from '../http.ts';
import { sutRoot } from '../paths.ts';
import { waitUntilReady, type ProcessHandle } from '../process.ts';
import { remainingMs, startComponent, type LocalContext } from './context.ts';

export interface ScrapeTarget {
  job: 'gateway' | 'matching' | 'booking';
  instanceName: string;
  port: number;
}

/**
 * Prometheus with the SUT's own scrape config and alert/recording rules. The config names its
 * targets through file_sd (targets/<job>.json), so the SUT's file is used as shipped and only
 * the target lists, which hold this stack's ports, are written here.
 */
export async function startPrometheus(ctx: LocalContext, binary: string, port: number, targets: readonly ScrapeTarget[]): Promise<ProcessHandle> {
  const dir = path.join(ctx.runDir, 'prometheus');
  cpSync(path.join(sutRoot, 'prometheus', 'prometheus.yml'), path.join(dir, 'prometheus.yml'));
  cpSync(path.join(sutRoot, 'prometheus', 'rules'), path.join(dir, 'rules'), { recursive: true });
  mkdirSync(path.join(dir, 'targets'), { recursive: true });
  for (const job of ['gateway', 'matching', 'booking'] as const) {
    const groups = targets
      .filter((target) => target.job === job)
      .map((target) => ({ targets: [`127.0.0.1:${target.port}`], labels: { instance_name: target.instanceName } }));
    writeFileSync(path.join(dir, 'targets', `${job}.json`), JSON.stringify(groups, null, 2));
  }
  const args = [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=1d',
    '--log.level=warn',
  ];
  const handle = startComponent(ctx, { name: 'prometheus', command: binary, args });
  await waitUntilReady(handle, () => isHttpOk(`http://127.0.0.1:${port}/-/ready`), { timeoutMs: remainingMs(ctx), signal: ctx.signal, what: 'ready' });
  return handle;
}
