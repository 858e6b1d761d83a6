import type { ComponentHealth, ProbeStep, StackState } from '../harness/index.ts';

const out = (line = '') => process.stdout.write(`${line}\n`);

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
}

export function printEndpoints(state: StackState): void {
  const e = state.endpoints;
  const rows = [
    ['gateway', e.gateway],
    ['gateway admin', `${e.gatewayAdmin}  (Authorization: Bearer <adminToken from .rushhour/state.json>)`],
    ['prometheus', e.prometheus],
    ['postgres primary', e.postgresPrimary],
    ['postgres replica', e.postgresReplica],
    ['redis', e.redis],
    ['fault proxy', `${e.faultProxy}  (Toxiproxy API; services reach postgres and redis through it)`],
  ];
  out(`Stack ${state.runId} (${state.provider}), seeded with ${state.dataset.counts.routes} routes, ${state.dataset.counts.stops} stops, ${state.dataset.counts.drivers} drivers, ${state.dataset.counts.riders} riders (seed ${state.dataset.seed}):`);
  for (const line of table(rows)) out(`  ${line}`);
}

export function printStatus(state: StackState, ownerAlive: boolean, health: ComponentHealth[]): void {
  out(`Stack ${state.runId} (${state.provider}), owner pid ${state.pid} ${ownerAlive ? 'running' : 'DEAD: run `npx rushhour down` to reap it'}, up since ${state.startedAt}`);
  const where = state.provider === 'containers' ? 'container' : 'pid';
  const rows = [['component', 'kind', where, 'health', 'endpoint'], ...health.map((c) => [c.name, c.kind, c.containerId?.slice(0, 12) ?? String(c.pid ?? '-'), !c.running ? 'not running' : c.healthy ? 'healthy' : 'UNHEALTHY', c.url ?? ''])];
  for (const line of table(rows)) out(`  ${line}`);
  printEndpoints(state);
}

export function printProbe(steps: ProbeStep[]): void {
  const rows = [['', 'request', 'status', 'ms', 'note'], ...steps.map((s) => [s.ok ? 'ok' : 'FAIL', `${s.method} ${s.path}`, String(s.status ?? 'no answer'), String(s.ms), s.note])];
  for (const line of table(rows)) out(`  ${line}`);
  out(`${steps.filter((s) => s.ok).length} of ${steps.length} requests answered as the contract says.`);
}
