// A load-generator worker thread's entry: the harness is TypeScript, and loader hooks registered
// in the main thread do not reach a worker, so the worker registers tsx itself.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
