export { JobQueueError, isJobQueueError, type JobQueueErrorCode } from './errors.js';
export {
  noopJobQueueMetrics,
  type JobQueueDepthState,
  type JobQueueMetrics,
} from './metrics/job-queue-metrics.js';
export { jobIdOf } from './jobs/job-id.js';
export type { JobAttempt, JobAttemptError, JobData } from './jobs/job-data.js';
export {
  DEFAULT_REDIS_URL,
  assertNoEviction,
  redisConnectionOptions,
  type PolicyClient,
} from './redis/redis-connection.js';
export {
  QUEUE_NAME,
  jobQueueConfigSchema,
  type JobQueueConfig,
  type JobQueueConfigInput,
  type JobQueueOptions,
} from './queue/job-queue-options.js';
export { parseJobQueueConfig } from './queue/parse-job-queue-config.js';
export {
  createJobQueue,
  jobOptions,
  type EnqueuedJob,
  type JobQueue,
  type NewJob,
} from './queue/job-queue.js';
export {
  DeadLetterStore,
  type DeadLetterJob,
  type DeadLetterReason,
} from './dlq/dead-letter-store.js';
export {
  createJobProcessor,
  type JobActionRegistry,
  type JobProcessorDeps,
  type JobResult,
} from './worker/job-processor.js';
export { createJobWorker, type JobWorker, type JobWorkerOptions } from './worker/job-worker.js';
export {
  observerLookupFromConfig,
  type JobObserver,
  type JobObserverLookup,
} from './observers/job-observer-lookup.js';
export { innerAction } from './observers/inner-action.js';
export { dispatchJob, type QueueUnavailablePolicy } from './observers/dispatch-job.js';
export {
  createAsyncActionLookup,
  type AsyncActionLookupOptions,
} from './observers/async-action-lookup.js';
export {
  createEnqueueAction,
  enqueueActionSchema,
  type EnqueueActionConfig,
  type EnqueueActionOptions,
} from './observers/enqueue-action.js';
export {
  createJobQueueAdmin,
  type JobQueueAdmin,
  type JobQueueAdminOptions,
  type QueueStats,
  type ReplayAllResult,
} from './admin/job-queue-admin.js';
