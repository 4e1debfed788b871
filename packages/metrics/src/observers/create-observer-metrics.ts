import type { ServiceHealth } from '@fraiseql/core';
import type { Registry } from 'prom-client';
import type { HotCounterCell } from '../registry/hot-counter.js';
import type { HotHistogramCell } from '../registry/hot-histogram.js';
import { LabelLimiter } from '../registry/label-limiter.js';
import { createServiceMetrics } from '../services/create-service-metrics.js';
import { observerMetricSet } from './observer-metric-set.js';

/** State of a circuit breaker, as the observers runtime reports it. */
export type BreakerStateName = 'closed' | 'open' | 'half-open';

/**
 * The shape of `@fraiseql/observers`' `ObserverMetrics` seam, declared here so this package
 * does not depend on observers: an object of this type can be passed wherever observers takes
 * `metrics` (the runtime, the executor, sources, the dead-letter queue, the memory dedup store).
 */
export interface ObserverMetricsReporter {
  sourceBatch(source: string, size: number): void;
  captureLag(source: string, lagSeconds: number, lagEvents: number): void;
  backlog(source: string, size: number): void;
  eventProcessed(): void;
  eventFailed(errorType: string): void;
  malformedEvent(source: string): void;
  actionExecuted(actionType: string, durationSeconds: number): void;
  actionFailed(actionType: string, errorType: string, durationSeconds: number): void;
  actionRetried(actionType: string): void;
  dedupDetected(): void;
  dedupProcessingSkipped(): void;
  dedupUnavailable(): void;
  cacheHit(): void;
  cacheMiss(): void;
  cacheEviction(): void;
  dlqItems(count: number): void;
  deadLettered(actionType: string): void;
  deadLetterRemoved(reason: 'retried' | 'removed', count: number): void;
  breakerState(endpoint: string, state: BreakerStateName): void;
  /** Runs of an observer waiting on an open breaker or a retry backoff (`fraiseql_observer_waiting`). */
  observerWaiting(observer: string, count: number): void;
  /** Attempts written to the invocation log (`fraiseql_observer_invocations_written_total`). */
  invocationsWritten(count: number): void;
  /** Attempts the invocation log dropped (`fraiseql_observer_invocations_dropped_total`). */
  invocationsDropped(reason: 'buffer_full' | 'write_failed', count: number): void;
  /** Attempts waiting in the invocation log's buffer (`fraiseql_observer_invocations_buffered`). */
  invocationsBuffered(count: number): void;
  natsPending(consumer: string, pending: number): void;
  natsRedelivered(consumer: string): void;
  /** One connection's health (`fraiseql_service_*`). */
  serviceState(health: ServiceHealth): void;
}

/** Options of {@link createObserverMetrics}. */
export interface ObserverMetricsOptions {
  /**
   * Most distinct values kept per label (endpoints, action types, error types, sources,
   * consumers); later new values are reported as `other`. @defaultValue `100`
   */
  readonly maxLabelValues?: number | undefined;
}

const BREAKER_VALUE: Readonly<Record<BreakerStateName, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

/**
 * Implements the observers metrics seam on `registry`. Pass the result as `metrics` to the
 * runtime (it counts events when it settles them), the observer executor, the sources, the
 * dead-letter queue and the memory dedup store.
 *
 * @example
 * const registry = createMetricsRegistry();
 * const metrics = createObserverMetrics(registry);
 * const executor = createObserverExecutor({ matcher, registry: actions, metrics });
 */
export function createObserverMetrics(
  registry: Registry,
  options: ObserverMetricsOptions = {},
): ObserverMetricsReporter {
  const m = observerMetricSet(registry);
  const max = options.maxLabelValues ?? 100;
  const sources = new LabelLimiter(max);
  const actionTypes = new LabelLimiter(max);
  const errorTypes = new LabelLimiter(max);
  const endpoints = new LabelLimiter(max);
  const consumers = new LabelLimiter(max);
  const observers = new LabelLimiter(max);
  const services = createServiceMetrics(registry, { maxLabelValues: max });
  // Per action type, the series of the per-action hot path, looked up once.
  const byAction = new Map<string, { executed: HotCounterCell; duration: HotHistogramCell }>();
  const actionCells = (
    actionType: string,
  ): { executed: HotCounterCell; duration: HotHistogramCell } => {
    let cells = byAction.get(actionType);
    if (cells === undefined) {
      const label = actionTypes.value(actionType);
      cells = { executed: m.actionExecuted.cell(label), duration: m.actionDuration.cell(label) };
      // Action types come from config; the cap only guards against a caller inventing them.
      if (byAction.size < 1_000) byAction.set(actionType, cells);
    }
    return cells;
  };
  return {
    sourceBatch(source, size) {
      m.sourceBatchSize.observe({ source: sources.value(source) }, size);
    },
    captureLag(source, lagSeconds, lagEvents) {
      const labels = { source: sources.value(source) };
      m.captureLagSeconds.set(labels, lagSeconds);
      m.captureLagEvents.set(labels, lagEvents);
    },
    backlog(source, size) {
      m.backlogSize.set({ source: sources.value(source) }, size);
    },
    eventProcessed() {
      m.eventsProcessed.inc();
    },
    eventFailed(errorType) {
      m.eventsFailed.inc({ error_type: errorTypes.value(errorType) });
    },
    malformedEvent(source) {
      m.eventsMalformed.inc({ source: sources.value(source) });
    },
    actionExecuted(actionType, durationSeconds) {
      const cells = actionCells(actionType);
      cells.executed.value += 1;
      cells.duration.observe(durationSeconds);
    },
    actionFailed(actionType, errorType, durationSeconds) {
      const action_type = actionTypes.value(actionType);
      m.actionErrors.inc({ action_type, error_type: errorTypes.value(errorType) });
      actionCells(actionType).duration.observe(durationSeconds);
    },
    actionRetried(actionType) {
      m.actionRetries.inc({ action_type: actionTypes.value(actionType) });
    },
    dedupDetected() {
      m.dedupDetected.inc();
    },
    dedupProcessingSkipped() {
      m.dedupProcessingSkipped.inc();
    },
    dedupUnavailable() {
      m.dedupUnavailable.inc();
    },
    cacheHit() {
      m.cacheHits.inc();
    },
    cacheMiss() {
      m.cacheMisses.inc();
    },
    cacheEviction() {
      m.cacheEvictions.inc();
    },
    dlqItems(count) {
      m.dlqItems.set(count);
    },
    deadLettered(actionType) {
      m.dlqAdded.inc({ action_type: actionTypes.value(actionType) });
    },
    deadLetterRemoved(reason, count) {
      if (count > 0) m.dlqRemoved.inc({ reason }, count);
    },
    breakerState(endpoint, state) {
      const label = endpoints.value(endpoint);
      m.breakerState.set({ endpoint: label }, BREAKER_VALUE[state]);
      m.breakerTransitions.inc({ endpoint: label, state });
    },
    observerWaiting(observer, count) {
      m.observerWaiting.set({ observer: observers.value(observer) }, count);
    },
    invocationsWritten(count) {
      m.invocationsWritten.inc(count);
    },
    invocationsDropped(reason, count) {
      m.invocationsDropped.inc({ reason }, count);
    },
    invocationsBuffered(count) {
      m.invocationsBuffered.set(count);
    },
    natsPending(consumer, pending) {
      m.natsPending.set({ consumer: consumers.value(consumer) }, pending);
    },
    natsRedelivered(consumer) {
      m.natsRedelivered.inc({ consumer: consumers.value(consumer) });
    },
    serviceState(health) {
      services.serviceState(health);
    },
  };
}
