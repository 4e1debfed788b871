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
export {
  DEFAULT_RETRY,
  RetryPolicy,
  computeRetryDelay,
  type RetryPolicyConfig,
  type RetryDecision,
} from './execution/retry-policy.js';
export {
  CircuitBreaker,
  type BreakerAdmission,
  type BreakerPermit,
  type CircuitBreakerOptions,
} from './execution/circuit-breaker.js';
export {
  createObserverExecutor,
  type ObserverExecutor,
  type ObserverExecutorOptions,
  type ObserverExecutorStats,
} from './execution/observer-executor.js';
export type {
  ActionExecutorLookup,
  ExecutableAction,
  ExecutableObserver,
  ObserverHandlerContext,
  ObserverLookup,
} from './execution/executable-observer.js';
export type { ObserverAlert } from './execution/failure-policy.js';
export {
  createDeadLetterQueue,
  type DeadLetterQueue,
  type DeadLetterQueueOptions,
} from './dlq/dead-letter-queue.js';
export type {
  DeadLetter,
  DeadLetterAttempt,
  DeadLetterFilter,
  DeadLetterListOptions,
  DeadLetterReplayOutcome,
  DeadLetterReplayer,
  DeadLetterRetryAllResult,
  DeadLetterRetryResult,
  DeadLetterStats,
  NewDeadLetter,
} from './dlq/dead-letter.js';
export type { DedupClaim, DedupStore } from './dedup/dedup-store.js';
export {
  createMemoryDedupStore,
  type MemoryDedupStoreOptions,
} from './dedup/memory-dedup-store.js';
export {
  createRedisDedupStore,
  type DedupRedisClient,
  type RedisDedupStoreOptions,
} from './dedup/redis-dedup-store.js';
export {
  createNatsSource,
  type NatsSource,
  type NatsSourceOptions,
} from './sources/nats/nats-source.js';
export {
  natsConfigSchema,
  parseNatsConfig,
  type NatsConfig,
  type ResolvedNatsConfig,
} from './sources/nats/nats-config.js';
export { NatsDeadLetterHeaders, type NatsDeadLetterKind } from './sources/nats/dead-letter.js';
export { eventSubject } from './sources/nats/event-subject.js';
