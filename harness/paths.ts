import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The rushhour checkout: the SUT's sources, migrations and Prometheus rules are read from here. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const sutRoot = path.join(projectRoot, 'system-under-test');
