import { RushhourError } from './errors.ts';

/**
 * What a component is doing, as the controls see it. `paused` is a hang: the process exists,
 * its sockets accept, nothing answers. `stopped` covers both a crash (kill) and a clean stop.
 */
export type ComponentState = 'running' | 'paused' | 'stopped';

/**
 * One interface over both providers, for chaos: the same fault reads the same way whether a
 * component is a child process or a container.
 *
 * | action  | local                 | containers                 |
 * | ------- | --------------------- | -------------------------- |
 * | kill    | SIGKILL               | docker kill (SIGKILL)      |
 * | stop    | the component's clean | docker stop                |
 * |         | shutdown signal       |                            |
 * | pause   | SIGSTOP               | docker pause (cgroup freeze)|
 * | resume  | SIGCONT               | docker unpause             |
 * | restart | start it again from   | docker start / restart     |
 * |         | the same spec         |                            |
 *
 * `restart` resolves once the component is ready again (the same readiness check as boot).
 */
export interface ComponentControls {
  /** Component names the controls accept (the stack's components). */
  readonly names: readonly string[];
  kill(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  pause(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  restart(name: string): Promise<void>;
  state(name: string): Promise<ComponentState>;
}

export function unknownComponent(name: string, names: readonly string[]): RushhourError {
  return new RushhourError('RUSHHOUR_ERR_USAGE', `no component named "${name}" in this stack`, { hint: `Components: ${names.join(', ')}.` });
}

/** Anything a control can act on: a local process tree or a container. */
export interface Controllable {
  kill(): Promise<void>;
  stop(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  restart(): Promise<void>;
  state(): ComponentState | Promise<ComponentState>;
}

/** The controls over a stack's components by name; an unknown name rejects with a usage error. */
export function controlsOver(components: ReadonlyMap<string, Controllable>): ComponentControls {
  const get = (name: string) => {
    const component = components.get(name);
    if (!component) throw unknownComponent(name, [...components.keys()]);
    return component;
  };
  return {
    // Live: an instance started after the boot (a canary) is controllable too.
    get names() {
      return [...components.keys()];
    },
    kill: async (name) => get(name).kill(),
    stop: async (name) => get(name).stop(),
    pause: async (name) => get(name).pause(),
    resume: async (name) => get(name).resume(),
    restart: async (name) => get(name).restart(),
    state: async (name) => get(name).state(),
  };
}
