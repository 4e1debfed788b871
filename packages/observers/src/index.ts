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
export type {
  ActionContext,
  ActionExecutor,
  ActionResult,
  EndpointContext,
} from './actions/action-executor.js';
export {
  createActionRegistry,
  type ActionRegistry,
  type ActionRegistryOptions,
  type AnyActionConfig,
  type ExtensionActionConfig,
} from './actions/action-registry.js';
export { openIoredis, type OwnedRedis } from './actions/redis-client.js';
export type {
  RenderJsonOptions,
  RenderTextOptions,
  TemplateRenderer,
} from './actions/template-renderer.js';
export {
  abortFailure,
  classifyError,
  classifyRedisError,
  classifySmtpError,
  httpStatusError,
  parseRetryAfter,
  type ClassifyContext,
} from './actions/classify-error.js';
export {
  signWebhook,
  webhookMessageId,
  type WebhookSignatureHeaders,
  type WebhookSignatureInput,
} from './actions/webhook-signature.js';
export { escapeGlob } from './actions/escape-glob.js';
export { createWebhookAction, type WebhookActionOptions } from './actions/webhook-action.js';
export { createSlackAction, type SlackActionOptions } from './actions/slack-action.js';
export { createEmailAction, type EmailActionOptions } from './actions/email-action.js';
export { MAX_ADDRESS_LIST_TEXT, MAX_ADDRESS_TEXT } from './actions/email-recipients.js';
export {
  nodemailerTransport,
  smtpTransportOptions,
  type MailMessage,
  type MailSendInfo,
  type MailTransport,
  type MailTransportFactory,
  type MailTransportOptions,
} from './actions/mail-transport.js';
export {
  createCacheAction,
  type CacheActionOptions,
  type CacheRedis,
  type CacheRedisProvider,
} from './actions/cache-action.js';
export {
  createFunctionAction,
  type FunctionActionContext,
  type FunctionActionHandler,
  type FunctionLookup,
} from './actions/function-action.js';
export {
  BLOCKED_RANGES,
  blockedRangeOf,
  createSsrfGuard,
  type ResolveAll,
  type SsrfGuard,
  type SsrfGuardOptions,
} from './net/ssrf-guard.js';
export {
  createHttpPool,
  type HttpPool,
  type HttpPoolOptions,
  type HttpRequest,
  type HttpResponse,
} from './net/http-pool.js';
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
export type { ActionAttempt, ActionAttemptListener } from './execution/action-attempt.js';
export type { ActionResponse } from './actions/action-response.js';
export {
  createInvocationLog,
  type InvocationLog,
  type InvocationLogOptions,
  type InvocationLogStats,
} from './invocations/invocation-log.js';
export type {
  Invocation,
  InvocationFilter,
  InvocationOutcome,
  InvocationTrigger,
} from './invocations/invocation.js';
export type { InvocationTag } from './invocations/invocation-record.js';
export { explainEvent, type ObserverVerdict } from './matching/explain-event.js';
export {
  redeliverEvent,
  type RedeliverOptions,
  type RedeliverResult,
  type RedeliveredAction,
} from './invocations/redeliver-event.js';
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
  createNatsBridge,
  type NatsBridge,
  type NatsBridgeOptions,
  type NatsBridgeStats,
} from './sources/nats/nats-bridge.js';
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
export { observerMigrations } from './migrations/observer-migrations.js';
export {
  createChangeLogSource,
  type ChangeLogSource,
  type ChangeLogSourceOptions,
  type ChangeLogSourceStatus,
} from './sources/change-log/change-log-source.js';
export {
  changeLogSourceOptionsSchema,
  type ChangeLogRetentionConfig,
  type ChangeLogSourceConfig,
  type ResolvedChangeLogSourceConfig,
} from './sources/change-log/change-log-source-options.js';
export {
  listChangeLogConsumers,
  type ChangeLogConsumerStatus,
} from './sources/change-log/change-log-consumers.js';
export {
  runChangeLogRetention,
  type RetentionResult,
  type RetentionRunOptions,
} from './sources/change-log/change-log-retention.js';
export {
  createMemorySource,
  type MemorySource,
  type MemorySourceOptions,
  type ParkedMemoryEvent,
} from './sources/memory/memory-source.js';
export { createObserverRuntime, type ObserverRuntime } from './runtime/observer-runtime.js';
export {
  observerRuntimeOptionsSchema,
  type EventHandler,
  type EventHandlerContext,
  type ObserverHealth,
  type ObserverHealthReporter,
  type ObserverRuntimeConfig,
  type ObserverRuntimeOptions,
} from './runtime/observer-runtime-options.js';
export type { RuntimeHealth, RuntimeState, SourceHealth } from './runtime/runtime-health.js';
export {
  EXTENSION_ACTION_PACKAGES,
  WEBHOOK_METHODS,
  builtinActionSchema,
  builtinActionSchemas,
  cacheActionSchema,
  emailActionSchema,
  functionActionSchema,
  slackActionSchema,
  webhookActionSchema,
  type ActionConfig,
  type ActionConfigInput,
  type BuiltinActionType,
  type CacheActionConfig,
  type EmailActionConfig,
  type FunctionActionConfig,
  type SlackActionConfig,
  type SmtpConfig,
  type WebhookActionConfig,
  type WebhookMethod,
} from './config/action-config.js';
export {
  RETRY_STRATEGIES,
  retryConfigSchema,
  type RetryConfig,
  type RetryConfigInput,
  type RetryStrategy,
} from './config/retry-config.js';
export { durationSchema } from './config/duration-schema.js';
export { FAILURE_POLICIES, OBSERVER_NAME, ORDERING_MODES } from './config/observer-config.js';
export {
  createObserversConfigSchema,
  observersConfigSchema,
  type ActionSchemaSource,
  type ObserverConfig,
  type ObserversConfig,
  type ObserversConfigInput,
  type ParsedObserversConfig,
} from './config/observers-config.js';
export {
  observersJsonSchema,
  type ObserversJsonSchemaOptions,
} from './config/observers-json-schema.js';
export { jsonTemplateSchema, templateStringSchema } from './config/config-primitives.js';
export { asyncFlagSchema } from './config/async-flag.js';
export {
  SOURCE_KINDS,
  sourceConfigSchema,
  type SourceConfig,
  type SourceKind,
} from './config/source-config.js';
export { formatConfigIssue, type ConfigIssue } from './config/config-issue.js';
export { configFormatOf, type ConfigFormat } from './config/config-text.js';
export { applyEnvOverrides, type EnvOverride } from './config/env-overrides.js';
export {
  checkObserversConfigFile,
  checkObserversConfigText,
  loadObserversConfig,
  parseObserversConfig,
  validateObserversConfig,
  type LoadObserversConfigOptions,
  type ObserversConfigCheck,
  type ObserversConfigOptions,
  type ParseObserversConfigOptions,
} from './config/load-observers-config.js';
export { watchConfig, type ConfigWatcher, type WatchConfigOptions } from './config/watch-config.js';
export {
  compileCondition,
  type CompiledCondition,
  type ConditionClause,
  type ConditionExplanation,
} from './conditions/compile-condition.js';
export { MAX_CONDITION_NESTING } from './conditions/parse-condition.js';
export {
  compileTemplate,
  MAX_TEMPLATE_LENGTH,
  type CompiledTemplate,
  type TemplateRenderOptions,
} from './templates/compile-template.js';
export {
  compileJsonTemplate,
  type CompiledJsonTemplate,
  type JsonTemplateRenderOptions,
} from './templates/compile-json-template.js';
export { escapeFor, type TemplateContext } from './templates/template-context.js';
export { createTemplateRenderer } from './templates/create-template-renderer.js';
export { TEMPLATE_ROOTS, templateScope, type TemplateScope } from './templates/template-scope.js';
export {
  createObserverDefinitions,
  type ObserverDefinition,
} from './matching/observer-definition.js';
export {
  createMatcher,
  type MatchedObserver,
  type ObserverMatcher,
  type ObserverState,
  type ObserverStatus,
} from './matching/observer-matcher.js';
