import { unknownComponent, type ComponentControls } from '../controls.ts';
import type { LocalComponent } from './component.ts';

/** The component controls of a local stack: signals to each component's process tree. */
export function localControls(components: ReadonlyMap<string, LocalComponent>): ComponentControls {
  const names = [...components.keys()];
  const get = (name: string) => {
    const component = components.get(name);
    if (!component) throw unknownComponent(name, names);
    return component;
  };
  return {
    names,
    kill: (name) => get(name).kill(),
    stop: (name) => get(name).stop(),
    pause: (name) => get(name).pause(),
    resume: (name) => get(name).resume(),
    restart: (name) => get(name).restart(),
    state: async (name) => get(name).state(),
  };
}
