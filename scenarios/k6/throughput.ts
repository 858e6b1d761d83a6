// k6 twin of scenarios/throughput.ts: reads flat out. Options from the harness (lib.ts).
import { requestMix, twinOptions } from './lib.ts';

export { handleSummary } from './lib.ts';
export const options = twinOptions(['search', 'nearby']);
export default requestMix({ search: 70, nearby: 30 });
