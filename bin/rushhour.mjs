#!/usr/bin/env node
// The CLI, config files and scenarios are TypeScript; tsx compiles them on the fly so
// `npx rushhour` works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
