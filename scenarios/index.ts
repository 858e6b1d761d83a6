import type { ScenarioDefinition } from '../harness/index.ts';
import breakpoint from './breakpoint.ts';
import mixed from './mixed.ts';
import ramp from './ramp.ts';
import readHeavy from './read-heavy.ts';
import smoke from './smoke.ts';
import soak from './soak.ts';
import spike from './spike.ts';
import throughput from './throughput.ts';
import writeHeavy from './write-heavy.ts';

/** The built-in scenarios, by name (`rushhour run <name>`, `rushhour list`). */
export const builtinScenarios: Readonly<Record<string, ScenarioDefinition>> = Object.freeze(
  Object.fromEntries([smoke, ramp, spike, soak, breakpoint, throughput, readHeavy, writeHeavy, mixed].map((scenario) => [scenario.name, scenario])),
);
