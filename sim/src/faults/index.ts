export { classifyRequest, type Protocol, type RequestKind } from './classify.js';
export { type FaultKind, type FaultResponse, faultResponse } from './errors.js';
export {
  type FaultProxy,
  type FaultProxyOptions,
  type FaultSettings,
  type ProxyCall,
  type ProxyRequest,
  type ProxyStats,
  startFaultProxy,
} from './proxy.js';
export { mulberry32 } from './random.js';
