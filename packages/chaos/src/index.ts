export { ChaosProxy, type ChaosProxyOptions } from './proxy.js';
export {
  type Direction,
  seededRandom,
  type Toxic,
  type ToxicOptions,
  type ToxicSpec,
} from './toxics.js';
