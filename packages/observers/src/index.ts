export {
  ObserverError,
  isObserverError,
  type ObserverErrorCode,
  type ObserverErrorOptions,
} from './errors.js';
export {
  noopObserverMetrics,
  type BreakerState,
  type ObserverMetrics,
} from './metrics/observer-metrics.js';
export type { ActionContext, ActionExecutor, ActionResult } from './actions/action-executor.js';
