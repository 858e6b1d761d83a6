export { startFaultProxy, TOXIPROXY_API_VERSION, type FaultProxyServer } from './server.ts';
export { toxicTypes, type ToxicType, type Stream } from './toxic.ts';
export { ApiError } from './errors.ts';
