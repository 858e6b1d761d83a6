import type { Undo } from '../../harness/fault-ledger.ts';
import { injectWith, type ActiveFault, type FaultContext } from './fault.ts';

// A component crashes (SIGKILL / docker kill) or hangs (SIGSTOP / docker pause: its sockets
// accept, nothing answers), through the stack's controls, the same on both providers. The
// revert restarts it and waits until it is ready again, or resumes it.

export async function crash(context: FaultContext, component: string): Promise<ActiveFault> {
  return injectWith(
    context,
    `${component}: crash`,
    [{ kind: 'restart-component', component }],
    () => context.controls.kill(component),
    async () => {
      if ((await context.controls.state(component)) !== 'running') await context.controls.restart(component);
    },
  );
}

export async function hang(context: FaultContext, component: string): Promise<ActiveFault> {
  const info = context.topology.components.find((c) => c.name === component);
  const undo: Undo[] = info?.containerId ? [{ kind: 'unpause-container', id: info.containerId }] : info?.pid ? [{ kind: 'continue-process', pid: info.pid }] : [{ kind: 'restart-component', component }];
  return injectWith(
    context,
    `${component}: hang`,
    undo,
    () => context.controls.pause(component),
    async () => {
      if ((await context.controls.state(component)) === 'paused') await context.controls.resume(component);
    },
  );
}
