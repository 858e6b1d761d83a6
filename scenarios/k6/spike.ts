// k6 twin of scenarios/spike.ts: the OpenRide mix. Options from the harness (lib.ts).
import { requestMix, twinOptions } from './lib.ts';

export { handleSummary } from './lib.ts';
export const options = twinOptions(['search', 'book', 'pay', 'get_booking']);
export default requestMix({ search: 40, book: 30, pay: 20, get_booking: 10 });
