// k6 twin of scenarios/breakpoint.ts: the mixed 70/30 workload. Options from the harness (lib.ts).
import { requestMix, twinOptions } from './lib.ts';

export { handleSummary } from './lib.ts';
export const options = twinOptions(['search', 'nearby', 'book', 'pay', 'get_booking']);
export default requestMix({ search: 45, nearby: 15, get_booking: 10, book: 20, pay: 10 });
