// k6 twin of scenarios/write-heavy.ts: bookings and payments. Options from the harness (lib.ts).
import { requestMix, twinOptions } from './lib.ts';

export { handleSummary } from './lib.ts';
export const options = twinOptions(['search', 'book', 'pay']);
export default requestMix({ book: 50, pay: 30, search: 20 });
