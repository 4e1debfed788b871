import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { HotCounter } from '../registry/hot-counter.js';
import { HotHistogram } from '../registry/hot-histogram.js';
import { registerMetrics } from '../registry/register-metrics.js';

/** Buckets of action durations in seconds: 5 ms (a cache delete) up to a minute (a slow webhook). */
export const ACTION_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
] as const;

/** Buckets of source batch sizes in events. */
export const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] as const;

/** The Prometheus collectors behind the observers runtime. */
export interface ObserverMetricSet {
  readonly eventsProcessed: Counter;
  readonly eventsFailed: Counter<'error_type'>;
  readonly eventsMalformed: Counter<'source'>;
  /** One call per successful action: kept as cells, not hashed labels. */
  readonly actionExecuted: HotCounter;
  /** One observation per action attempt: kept as cells, not hashed labels. */
  readonly actionDuration: HotHistogram;
  readonly actionErrors: Counter<'action_type' | 'error_type'>;
  readonly actionRetries: Counter<'action_type'>;
  readonly dedupDetected: Counter;
  readonly dedupProcessingSkipped: Counter;
  readonly dedupUnavailable: Counter;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly cacheEvictions: Counter;
  readonly backlogSize: Gauge<'source'>;
  readonly captureLagSeconds: Gauge<'source'>;
  readonly captureLagEvents: Gauge<'source'>;
  readonly sourceBatchSize: Histogram<'source'>;
  readonly dlqItems: Gauge;
  readonly dlqAdded: Counter<'action_type'>;
  readonly dlqRemoved: Counter<'reason'>;
  readonly breakerState: Gauge<'endpoint'>;
  readonly breakerTransitions: Counter<'endpoint' | 'state'>;
  readonly observerWaiting: Gauge<'observer'>;
  readonly invocationsWritten: Counter;
  readonly invocationsDropped: Counter<'reason'>;
  readonly invocationsBuffered: Gauge;
  readonly natsPending: Gauge<'consumer'>;
  readonly natsRedelivered: Counter<'consumer'>;
}

const P = 'fraiseql_observer_';

/**
 * Defines (once per registry) every observer metric, with FraiseQL's `fraiseql_observer_*`
 * names. {@link createObserverMetrics} reports through them.
 */
export function observerMetricSet(registry: Registry): ObserverMetricSet {
  return registerMetrics(registry, 'observers', (registers) => ({
    eventsProcessed: new Counter({
      name: `${P}events_processed_total`,
      help: 'Events whose matched actions all succeeded, were skipped by dedup or were dead-lettered.',
      registers,
    }),
    eventsFailed: new Counter({
      name: `${P}events_failed_total`,
      help: 'Events that failed (handler threw, or an action failed for good without a dead letter), by error type.',
      labelNames: ['error_type'],
      registers,
    }),
    eventsMalformed: new Counter({
      name: `${P}events_malformed_total`,
      help: 'Rows or messages a source could not turn into an event and moved aside, by source.',
      labelNames: ['source'],
      registers,
    }),
    actionExecuted: new HotCounter({
      name: `${P}action_executed_total`,
      help: 'Action attempts that succeeded, by action type.',
      labelName: 'action_type',
      registers,
    }),
    actionDuration: new HotHistogram({
      name: `${P}action_duration_seconds`,
      help: 'Duration of action attempts (successful and failed), by action type.',
      labelName: 'action_type',
      buckets: ACTION_DURATION_BUCKETS,
      registers,
    }),
    actionErrors: new Counter({
      name: `${P}action_errors_total`,
      help: 'Action attempts that failed, by action type and error type.',
      labelNames: ['action_type', 'error_type'],
      registers,
    }),
    actionRetries: new Counter({
      name: `${P}action_retries_total`,
      help: 'Failed action attempts that are being retried, by action type.',
      labelNames: ['action_type'],
      registers,
    }),
    dedupDetected: new Counter({
      name: `${P}dedup_detected_total`,
      help: 'Redelivered (event, observer) pairs recognised by the dedup claim.',
      registers,
    }),
    dedupProcessingSkipped: new Counter({
      name: `${P}dedup_processing_skipped_total`,
      help: 'Observer runs that skipped already finished actions because of dedup.',
      registers,
    }),
    dedupUnavailable: new Counter({
      name: `${P}dedup_unavailable_total`,
      help: 'Dedup store calls that failed; processing went on without dedup (at-least-once).',
      registers,
    }),
    cacheHits: new Counter({
      name: `${P}cache_hits_total`,
      help: 'Actions found already finished in the dedup result cache (not run again).',
      registers,
    }),
    cacheMisses: new Counter({
      name: `${P}cache_misses_total`,
      help: 'Actions looked up in the dedup result cache and not found (run).',
      registers,
    }),
    cacheEvictions: new Counter({
      name: `${P}cache_evictions_total`,
      help: 'Finished-action records evicted from the in-memory dedup cache to stay under its size.',
      registers,
    }),
    backlogSize: new Gauge({
      name: `${P}backlog_size`,
      help: 'Events committed but not yet handled, by source.',
      labelNames: ['source'],
      registers,
    }),
    captureLagSeconds: new Gauge({
      name: `${P}capture_lag_seconds`,
      help: 'Age of the oldest committed event not yet handled, by source.',
      labelNames: ['source'],
      registers,
    }),
    captureLagEvents: new Gauge({
      name: `${P}capture_lag_events`,
      help: 'Events between the newest committed change and the newest handled one, by source.',
      labelNames: ['source'],
      registers,
    }),
    sourceBatchSize: new Histogram({
      name: `${P}source_batch_size`,
      help: 'Events handed out per source batch, by source.',
      labelNames: ['source'],
      buckets: [...BATCH_SIZE_BUCKETS],
      registers,
    }),
    dlqItems: new Gauge({
      name: `${P}dlq_items`,
      help: 'Items in the dead-letter table.',
      registers,
    }),
    dlqAdded: new Counter({
      name: `${P}dlq_added_total`,
      help: 'Failed actions written to the dead-letter table, by action type.',
      labelNames: ['action_type'],
      registers,
    }),
    dlqRemoved: new Counter({
      name: `${P}dlq_removed_total`,
      help: 'Dead-letter items that left the table, by reason (retried = replay succeeded, removed = deleted).',
      labelNames: ['reason'],
      registers,
    }),
    breakerState: new Gauge({
      name: `${P}breaker_state`,
      help: 'Circuit breaker state per endpoint host: 0 closed, 1 half-open, 2 open.',
      labelNames: ['endpoint'],
      registers,
    }),
    breakerTransitions: new Counter({
      name: `${P}breaker_transitions_total`,
      help: 'Circuit breaker state changes per endpoint host, by the state entered.',
      labelNames: ['endpoint', 'state'],
      registers,
    }),
    observerWaiting: new Gauge({
      name: `${P}waiting`,
      help: 'Runs of an observer waiting now on an open circuit breaker or a retry backoff (their events stay unacknowledged).',
      labelNames: ['observer'],
      registers,
    }),
    invocationsWritten: new Counter({
      name: `${P}invocations_written_total`,
      help: 'Action attempts written to the invocation log.',
      registers,
    }),
    invocationsDropped: new Counter({
      name: `${P}invocations_dropped_total`,
      help: 'Action attempts the invocation log dropped, by reason (buffer_full = the database fell behind, write_failed = a batch could not be written).',
      labelNames: ['reason'],
      registers,
    }),
    invocationsBuffered: new Gauge({
      name: `${P}invocations_buffered`,
      help: 'Action attempts waiting in the invocation log buffer to be written.',
      registers,
    }),
    natsPending: new Gauge({
      name: `${P}nats_pending`,
      help: 'Messages pending on the NATS server for a durable consumer.',
      labelNames: ['consumer'],
      registers,
    }),
    natsRedelivered: new Counter({
      name: `${P}nats_redelivered_total`,
      help: 'NATS messages received with a delivery count above 1, by durable consumer.',
      labelNames: ['consumer'],
      registers,
    }),
  }));
}
