export { ConsoleError, isConsoleError, type ConsoleErrorCode } from './errors.js';
export {
  createConsoleHandler,
  type ConsoleHandler,
  type ConsoleHandlerOptions,
} from './server/create-console-handler.js';
export type { MetricsSource, RateSample } from './server/event-rate.js';
export type { EventFilter } from './server/event-filter.js';
