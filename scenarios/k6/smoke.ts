// k6 twin of scenarios/smoke.ts: the booking journey. Options from the harness (lib.ts).
import { bookingFlow, twinOptions } from './lib.ts';

export { handleSummary } from './lib.ts';
export const options = twinOptions(['search', 'book', 'pay', 'get_booking']);
export default bookingFlow;
