// k6 twin of scenarios/read-heavy.ts: searches and nearby drivers. Options from the harness (lib.ts).
import { requestMix, twinOptions } from './lib.ts';

export { handleSummary } from './lib.ts';
export const options = twinOptions(['search', 'nearby', 'get_booking']);
export default requestMix({ search: 60, nearby: 35, get_booking: 5 });
