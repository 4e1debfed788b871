import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  CHANGE_LOG_CHANNEL,
  changeLogRowToEvent,
  isConnectionLoss,
  isDeliverableRow,
  silentLogger,
  type Delivery,
  type DeliveryOutcome,
  type EntityEvent,
  type EventSource,
  type EventSourceBacklog,
  type EventSourceStartOptions,
  type Logger,
  type ServiceHealth,
  type SqlClient,
} from '@fraiseql/core';
import { ObserverError } from '../../errors.js';
import { noopObserverMetrics, type ObserverMetrics } from '../../metrics/observer-metrics.js';
import { parseOptions } from '../../runtime/parse-options.js';
import { Wakeup } from '../../runtime/wakeup.js';
import { handDelivery } from '../hand-delivery.js';
import {
  changeLogSourceOptionsSchema,
  type ChangeLogSourceConfig,
  type ResolvedChangeLogSourceConfig,
} from './change-log-source-options.js';
import {
  BACKLOG,
  AFTER_CURSOR,
  OLDEST_TRANSACTION,
  REGISTER_CONSUMER,
  RELEASE_LEASES,
  RENEW_BATCH_LEASE,
  RENEW_LEASE,
  RENEW_LEASES,
} from './change-log-queries.js';
import { runChangeLogRetention, type RetentionResult } from './change-log-retention.js';
import { ClaimBatch, type ClaimTarget } from './claim-batch.js';
import { claimRows, type ClaimedRow } from './claim-rows.js';
import { DoneBatcher } from './done-batcher.js';
import { errorMessage, parkClaim, settleClaim } from './settle-claim.js';

/** Options of {@link createChangeLogSource}: the data options plus logger and metrics. */
export type ChangeLogSourceOptions = ChangeLogSourceConfig & {
  /** @defaultValue silence */
  readonly logger?: Logger | undefined;
  /** @defaultValue {@link noopObserverMetrics} */
  readonly metrics?: ObserverMetrics | undefined;
};

/** A point-in-time view of a change-log source, for health reports. */
export interface ChangeLogSourceStatus {
  readonly state: 'idle' | 'running' | 'stopping' | 'closed';
  /** Deliveries handed out and not yet settled. */
  readonly inFlight: number;
  /** Since when committed rows wait behind an open transaction, if they do. */
  readonly heldBackSince: Date | undefined;
  /** The last failure of a background round trip, cleared by the next success. */
  readonly lastError: { readonly message: string; readonly at: Date } | undefined;
  /**
   * False while the LISTEN connection is lost: the source then polls every
   * `fallbackPollInterval` until it is back. Always true with `listen: false`.
   */
  readonly listening: boolean;
}

/** The PostgreSQL change-log reader: an {@link EventSource} with a few operational extras. */
export interface ChangeLogSource extends EventSource {
  readonly kind: 'change-log';
  readonly consumer: string;
  readonly workerId: string;
  /** Resolved options (durations in milliseconds). */
  readonly options: ResolvedChangeLogSourceConfig;
  /**
   * Runs one claim round now (reclaims expired leases, claims rows below the horizon) and
   * resolves to the number of rows claimed. Useful for tests and tools; the source polls on
   * its own once started.
   *
   * @throws {ObserverError} `INVALID_ARGUMENT` before `start()`, `CLOSED` after `close()`.
   */
  poll(): Promise<number>;
  /** Unfinished events of this consumer and the age of the oldest. */
  backlog(options?: { readonly signal?: AbortSignal }): Promise<EventSourceBacklog>;
  /** Runs one retention pass with the configured settings (deletes nothing when disabled). */
  runRetention(options?: { readonly signal?: AbortSignal }): Promise<RetentionResult>;
  status(): ChangeLogSourceStatus;
  /** The database connections the source uses (`postgres`, `postgres:listen`) and their state. */
  services(): readonly ServiceHealth[];
}

const KIND = 'change-log';
const BACKLOG_COUNT_CAP = 1_000_000;
const HELD_BACK_FIRST_RECHECK_MS = 2;
const HELD_BACK_MAX_RECHECK_MS = 500;
// Looking for expired leases and due retries scans the claim index, dead entries included; at
// thousands of events per second that is most of a round's cost, so it runs at most this often
// (and when this worker's own retry comes due). A crashed worker's claims wait a lease anyway.
const RECLAIM_INTERVAL_MS = 1_000;
// Settlement writes that failed because the database connection was lost are tried again, with
// backoff up to this, while the source runs (so a handled event is not delivered again).
const SETTLE_RETRY_FIRST_MS = 100;
const SETTLE_RETRY_MAX_MS = 2_000;
const DONE: DeliveryOutcome = Object.freeze({ status: 'done' });

/**
 * Creates a source reading `core.tb_entity_change_log` for one durable consumer. Rows are
 * claimed in transaction order once their transaction is below the horizon (every older
 * transaction of this database has finished), leased to
 * this worker, and handed out as {@link Delivery}s; `done` finishes a claim, `retry` hands it
 * back after a delay, `dead` moves the row to `core.tb_observer_parked`. Run
 * `observerMigrations` (after core's) before starting it.
 *
 * @throws {ObserverError} `INVALID_ARGUMENT` naming the offending option.
 * @example
 * const source = createChangeLogSource(db, { consumer: 'billing' });
 * await source.start({ onDelivery: (d) => void handle(d.event).then(() => d.settle({ status: 'done' })) });
 */
export function createChangeLogSource(
  db: SqlClient,
  options: ChangeLogSourceOptions,
): ChangeLogSource {
  const { logger = silentLogger, metrics = noopObserverMetrics, ...data } = options;
  const config = parseOptions(changeLogSourceOptionsSchema, data, 'createChangeLogSource.options');
  const consumer = config.consumer;
  const workerId = config.workerId ?? defaultWorkerId();
  const leaseMs = config.leaseDuration;
  const log = { source: KIND, consumer, workerId };
  const owner = { consumer, workerId };
  // Batches this worker holds, by id: their leases are renewed until they are finished.
  const batches = new Map<string, ClaimBatch>();
  const batcher = new DoneBatcher(db, consumer, workerId, (batch) => {
    if (batches.get(batch.id) === batch) batches.delete(batch.id);
  });
  const wakeup = new Wakeup();
  // Unsettled deliveries by change-log key; each knows what settling it writes.
  const inFlight = new Map<string, ChangeLogDelivery>();
  // Unsettled deliveries the consumer detached: still leased, not counted against maxInFlight.
  let detachedCount = 0;
  const pendingSettlements = new Set<Promise<unknown>>();
  const timers: NodeJS.Timeout[] = [];

  let state: ChangeLogSourceStatus['state'] = 'idle';
  let onDelivery: EventSourceStartOptions['onDelivery'] | undefined;
  let maxInFlight = config.batchSize;
  let pump: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let lastError: ChangeLogSourceStatus['lastError'];
  let heldBackSince: Date | undefined;
  let heldBackRecheckMs = HELD_BACK_FIRST_RECHECK_MS;
  let lastHoldWarning = 0;
  let round: Promise<number> | undefined;
  let moreWaiting = false;
  let lastReclaimAt = 0;
  let reclaimDue = true;
  let listening = true;
  let firstStats: Promise<void> | undefined;

  const fail = (error: unknown, message: string): void => {
    lastError = { message: errorMessage(error), at: new Date() };
    logger.error({ ...log, err: error }, message);
  };

  /** Deliveries the source may still hand out before reaching `maxInFlight`. */
  function room(): number {
    return maxInFlight - (inFlight.size - detachedCount);
  }

  /**
   * A round claims at most `batchSize` rows and waits until there is room for a good part of
   * one: claiming whatever single slot frees up would make every round small.
   */
  function roundThreshold(): number {
    return Math.max(1, Math.min(config.batchSize, Math.floor(maxInFlight / 2)));
  }

  async function claimRound(): Promise<number> {
    const limit = Math.min(config.batchSize, room());
    if (limit <= 0) return 0;
    const reclaim = reclaimDue || Date.now() - lastReclaimAt >= RECLAIM_INTERVAL_MS;
    if (reclaim) {
      reclaimDue = false;
      lastReclaimAt = Date.now();
    }
    const claim = await claimRows(db, { consumer, workerId, leaseMs, limit, reclaim });
    // A take-over may have left more behind (one batch per round): look again next round.
    if (claim.reclaimed > 0) reclaimDue = true;
    if (claim.count > 0) metrics.sourceBatch(KIND, claim.count);
    for (const { row, attempts } of claim.singles) {
      dispatch(row, { batch: undefined, pk: String(row.pk_entity_change_log) }, attempts);
    }
    for (const claimed of claim.batches) {
      // Our own batch coming back (its lease lapsed while we held it): keep one state for it.
      let batch = batches.get(claimed.id);
      if (batch?.size !== claimed.size) {
        batch = new ClaimBatch(claimed.id, claimed.size);
        batches.set(batch.id, batch);
      }
      for (const { row, position } of claimed.rows) {
        const pk = String(row.pk_entity_change_log);
        if (inFlight.has(pk)) continue;
        batch.handOut(position);
        dispatch(row, { batch, position, pk }, claimed.attempts);
      }
      if (batch.open === 0) track(batcher.complete(batch));
    }
    moreWaiting = claim.full;
    if (claim.full) return claim.count;
    if (claim.beyond) await checkHeldBack(claim.cursor.transactionId, claim.cursor.pk);
    else caughtUp();
    return claim.count;
  }

  function caughtUp(): void {
    heldBackSince = undefined;
    heldBackRecheckMs = HELD_BACK_FIRST_RECHECK_MS;
  }

  async function checkHeldBack(cursorXid: string, cursorPk: string): Promise<void> {
    const after = await db.query<{ created_at: Date | string; claimable: boolean }>(AFTER_CURSOR, [
      cursorXid,
      cursorPk,
    ]);
    const row = after.rows[0];
    if (row === undefined || row.claimable) {
      caughtUp();
      // Released since the round's snapshot: claim it now rather than at the next wake-up.
      if (row !== undefined) moreWaiting = true;
      return;
    }
    // Recheck soon (the blocking transaction may end without a NOTIFY), backing off to the poll.
    if (heldBackSince === undefined) heldBackSince = new Date();
    else
      heldBackRecheckMs = Math.min(
        heldBackRecheckMs * 2,
        HELD_BACK_MAX_RECHECK_MS,
        config.pollInterval,
      );
    const waitedMs = Date.now() - heldBackSince.getTime();
    if (
      waitedMs >= config.commitLagWindow &&
      Date.now() - lastHoldWarning >= config.commitLagWindow
    ) {
      lastHoldWarning = Date.now();
      const blocker = await db
        .query(OLDEST_TRANSACTION)
        .then((result) => result.rows[0])
        .catch(() => undefined);
      const error = new ObserverError(
        'SOURCE_FAILED',
        `change-log rows have waited ${Math.round(waitedMs / 1000)}s behind an open transaction in this database; delivery resumes when it ends`,
        { details: { blocker } },
      );
      lastError = { message: error.message, at: new Date() };
      logger.warn({ ...log, blocker }, error.message);
    }
  }

  function dispatch(row: ClaimedRow, target: ClaimTarget, attempt: number): void {
    const pk = target.pk;
    // Our own lease lapsed (a stalled renewal) and we took the claim back: the delivery is
    // still with the handler, so keep the renewed lease and do not hand it out twice.
    if (inFlight.has(pk)) return;
    if (!isDeliverableRow(row)) {
      // Nothing to deliver (a NOOP change): finish the claim without a handler.
      track(batcher.finish(target));
      return;
    }
    let event: EntityEvent;
    try {
      event = changeLogRowToEvent(unwrapJsonStrings(row));
    } catch (error) {
      metrics.malformedEvent(KIND);
      logger.warn(
        { ...log, pk, id: row.id, err: error },
        `change-log row ${pk} (id ${row.id}) is malformed and was moved to core.tb_observer_parked: ${errorMessage(error)}`,
      );
      track(
        parkClaim(db, batcher, owner, target, attempt, 'malformed', errorMessage(error)).catch(
          (parkError: unknown) => {
            fail(parkError, `could not park malformed change-log row ${pk}`);
          },
        ),
      );
      return;
    }
    const delivery = new ChangeLogDelivery(target, event, attempt);
    inFlight.set(pk, delivery);
    handDelivery(onDelivery, delivery, logger, log);
  }

  /**
   * One handed-out row. A class rather than an object of closures: a drain hands out thousands
   * a second, and its methods are shared.
   */
  class ChangeLogDelivery implements Delivery {
    readonly event: EntityEvent;
    readonly attempt: number;
    /** What settling writes: the row's place in its batch, or its own claim row. */
    readonly target: ClaimTarget;
    settled = false;
    detached = false;

    constructor(target: ClaimTarget, event: EntityEvent, attempt: number) {
      this.target = target;
      this.event = event;
      this.attempt = attempt;
    }

    async heartbeat(): Promise<void> {
      if (this.settled || state === 'closed') return;
      const target = this.target;
      const renewed =
        target.batch === undefined
          ? await db.query(RENEW_LEASE, [consumer, workerId, leaseMs, target.pk])
          : await db.query(RENEW_BATCH_LEASE, [consumer, workerId, leaseMs, target.batch.id]);
      if (renewed.rowCount === 0) {
        throw new ObserverError(
          'LEASE_LOST',
          `the lease on event ${this.event.id} (change-log row ${target.pk}) passed to another worker; its work may be repeated there`,
        );
      }
    }

    detach(): void {
      if (this.settled || this.detached || inFlight.get(this.target.pk) !== this) return;
      this.detached = true;
      detachedCount += 1;
      wakeup.wake();
    }

    settle(outcome: DeliveryOutcome): Promise<void> {
      if (this.settled) {
        return Promise.reject(
          new ObserverError('INVALID_ARGUMENT', `event ${this.event.id} is already settled`),
        );
      }
      if (state === 'closed') {
        return Promise.reject(
          new ObserverError(
            'CLOSED',
            `the change-log source is closed; event ${this.event.id} will be delivered again`,
          ),
        );
      }
      this.settled = true;
      if (outcome.status === 'done') return settleDone(this);
      const work = settleUntilStored(this.target, this.event, this.attempt, outcome);
      track(work);
      // Whatever happened, stop renewing: an unsettled claim expires and is redelivered.
      return work.finally(() => {
        released(this);
      });
    }
  }

  /** The delivery is settled (or gave up): stop renewing its lease and make room. */
  function released(delivery: ChangeLogDelivery): void {
    const pk = delivery.target.pk;
    if (inFlight.get(pk) === delivery) inFlight.delete(pk);
    if (delivery.detached) {
      delivery.detached = false;
      detachedCount -= 1;
    }
    if (room() >= roundThreshold()) wakeup.wake();
  }

  /**
   * `done`, the common case, joins the next batched settlement directly; only a write lost with
   * the connection goes the long way round ({@link settleUntilStored}, which tries again).
   */
  function settleDone(delivery: ChangeLogDelivery): Promise<void> {
    return batcher.finish(delivery.target).then(
      (held) => {
        released(delivery);
        if (!held) lostLease(delivery.target, delivery.event, 'done');
      },
      (error: unknown) => {
        if (!isConnectionLoss(error) || !isRunning()) {
          released(delivery);
          throw error;
        }
        retryLater(delivery.target, delivery.event, 'done', error, SETTLE_RETRY_FIRST_MS);
        const work = sleep(SETTLE_RETRY_FIRST_MS).then(() =>
          settleUntilStored(delivery.target, delivery.event, delivery.attempt, DONE),
        );
        track(work);
        return work.finally(() => {
          released(delivery);
        });
      },
    );
  }

  function lostLease(target: ClaimTarget, event: EntityEvent, status: string): void {
    logger.warn(
      { ...log, pk: target.pk, eventId: event.id, outcome: status },
      `lease on event ${event.id} had passed to another worker before it was settled; the other worker delivers it again`,
    );
  }

  function retryLater(
    target: ClaimTarget,
    event: EntityEvent,
    status: string,
    error: unknown,
    delayMs: number,
  ): void {
    lastError = { message: errorMessage(error), at: new Date() };
    logger.warn(
      { ...log, pk: target.pk, eventId: event.id, outcome: status, err: error },
      `could not settle event ${event.id}: the database connection was lost; trying again in ${delayMs}ms`,
    );
  }

  async function settle(
    target: ClaimTarget,
    event: EntityEvent,
    attempt: number,
    outcome: DeliveryOutcome,
  ): Promise<void> {
    const held = await settleClaim(db, batcher, owner, target, attempt, outcome);
    if (held && outcome.status === 'retry') {
      // Pick our own retry up when it is due, not at the next periodic take-over scan.
      const timer = setTimeout(
        () => {
          reclaimDue = true;
          wakeup.wake();
        },
        Math.max(0, outcome.delayMs ?? 0),
      );
      timer.unref();
    }
    if (!held) lostLease(target, event, outcome.status);
  }

  /** {@link settle}, tried again after a lost connection while the source runs. */
  async function settleUntilStored(
    target: ClaimTarget,
    event: EntityEvent,
    attempt: number,
    outcome: DeliveryOutcome,
  ): Promise<void> {
    for (
      let delayMs = SETTLE_RETRY_FIRST_MS;
      ;
      delayMs = Math.min(delayMs * 2, SETTLE_RETRY_MAX_MS)
    ) {
      try {
        await settle(target, event, attempt, outcome);
        return;
      } catch (error) {
        if (!isConnectionLoss(error) || !isRunning()) throw error;
        retryLater(target, event, outcome.status, error, delayMs);
        await sleep(delayMs);
      }
    }
  }

  // A function, so the state is read afresh after every await.
  function isRunning(): boolean {
    return state === 'running';
  }

  /** The safety poll, or the fallback poll while the LISTEN connection is lost. */
  function pollInterval(): number {
    return listening
      ? config.pollInterval
      : Math.min(config.fallbackPollInterval, config.pollInterval);
  }

  function track(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => pendingSettlements.delete(tracked));
    pendingSettlements.add(tracked);
  }

  async function runPump(signal: AbortSignal | undefined): Promise<void> {
    let errorDelay = 100;
    // Failed rounds in a row: during an outage only the first is logged above debug level.
    let failedRounds = 0;
    while (state === 'running' && signal?.aborted !== true) {
      if (room() < roundThreshold()) {
        await wakeup.wait(config.pollInterval, signal);
        continue;
      }
      try {
        round = claimRound();
        await round;
        if (heldBackSince === undefined) lastError = undefined;
        errorDelay = 100;
        if (failedRounds > 0) {
          logger.info({ ...log, failedRounds }, 'change-log claim rounds work again');
          failedRounds = 0;
        }
      } catch (error) {
        failedRounds += 1;
        if (failedRounds === 1) {
          fail(error, 'change-log claim round failed; retrying with backoff');
        } else {
          lastError = { message: errorMessage(error), at: new Date() };
          logger.debug({ ...log, failedRounds, err: error }, 'change-log claim round failed again');
        }
        await wakeup.wait(errorDelay, signal);
        errorDelay = Math.min(errorDelay * 2, pollInterval());
        continue;
      } finally {
        round = undefined;
      }
      if (moreWaiting) continue;
      await wakeup.wait(heldBackSince === undefined ? pollInterval() : heldBackRecheckMs, signal);
    }
  }

  async function renewLeases(): Promise<void> {
    if (inFlight.size === 0 && batches.size === 0) return;
    const singles: string[] = [];
    for (const [pk, delivery] of inFlight)
      if (delivery.target.batch === undefined) singles.push(pk);
    try {
      await db.query(RENEW_LEASES, [consumer, workerId, leaseMs, [...batches.keys()], singles]);
    } catch (error) {
      fail(error, 'could not renew change-log leases');
    }
  }

  async function reportStats(): Promise<void> {
    try {
      const backlog = await source.backlog();
      metrics.backlog(KIND, backlog.events);
      metrics.captureLag(KIND, backlog.oldestAgeSeconds, backlog.events);
    } catch (error) {
      fail(error, 'could not measure the change-log backlog');
    }
  }

  async function retentionPass(): Promise<void> {
    try {
      const result = await source.runRetention();
      if (result.deleted > 0) {
        logger.info({ ...log, ...result }, `retention deleted ${result.deleted} change-log rows`);
      }
    } catch (error) {
      fail(error, 'change-log retention failed');
    }
  }

  function every(ms: number, task: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      void task().finally(() => {
        running = false;
      });
    }, ms);
    timer.unref();
    timers.push(timer);
  }

  function stopFetching(): void {
    if (state === 'running') state = 'stopping';
    wakeup.wake();
  }

  const source: ChangeLogSource = {
    kind: KIND,
    consumer,
    workerId,
    options: config,

    async start(startOptions: EventSourceStartOptions): Promise<void> {
      if (state !== 'idle') {
        throw new ObserverError(
          state === 'closed' ? 'CLOSED' : 'INVALID_ARGUMENT',
          `change-log source ${JSON.stringify(consumer)} was already started`,
        );
      }
      if (startOptions.maxInFlight !== undefined) {
        if (!Number.isInteger(startOptions.maxInFlight) || startOptions.maxInFlight < 1) {
          throw new ObserverError(
            'INVALID_ARGUMENT',
            `start.maxInFlight: expected an integer >= 1, got ${JSON.stringify(startOptions.maxInFlight)}`,
          );
        }
        maxInFlight = startOptions.maxInFlight;
      }
      onDelivery = startOptions.onDelivery;
      await db.query(REGISTER_CONSUMER, [consumer, config.startFrom]);
      if (config.listen) {
        unlisten = await db.listen(
          CHANGE_LOG_CHANNEL,
          () => {
            wakeup.wake();
          },
          {
            onLost: (error) => {
              if (!listening) return;
              listening = false;
              logger.warn(
                { ...log, err: error },
                `change-log LISTEN connection lost; polling every ${pollInterval()}ms until it is back`,
              );
            },
            onRestored: () => {
              listening = true;
              logger.info(log, 'change-log LISTEN connection re-established');
              // Wake-ups sent while it was down are lost: look for their rows now.
              wakeup.wake();
            },
          },
        );
      }
      state = 'running';
      const signal = startOptions.signal;
      signal?.addEventListener('abort', stopFetching, { once: true });
      every(Math.max(1, Math.floor(leaseMs / 3)), renewLeases);
      // Backlog and capture lag are known from the start, not one stats interval later.
      firstStats = reportStats();
      every(config.statsInterval, reportStats);
      if (config.retention !== false) every(config.retention.interval, retentionPass);
      pump = runPump(signal);
      logger.info(log, 'change-log source started');
    },

    async poll(): Promise<number> {
      if (state === 'idle') {
        throw new ObserverError('INVALID_ARGUMENT', 'poll: start the change-log source first');
      }
      if (state === 'closed') throw new ObserverError('CLOSED', 'poll: the source is closed');
      // One round at a time per source: wait for the pump's round, then run our own.
      while (round !== undefined) await round.catch(() => undefined);
      round = claimRound();
      try {
        return await round;
      } finally {
        round = undefined;
      }
    },

    async backlog(): Promise<EventSourceBacklog> {
      const result = await db.query<{ events: unknown; oldest_age_seconds: unknown }>(BACKLOG, [
        consumer,
        BACKLOG_COUNT_CAP,
      ]);
      const row = result.rows[0];
      if (row === undefined) return { events: 0, oldestAgeSeconds: 0 };
      return {
        events: Number(row.events),
        oldestAgeSeconds:
          row.oldest_age_seconds === null ? 0 : Math.max(0, Number(row.oldest_age_seconds)),
      };
    },

    async runRetention(runOptions = {}): Promise<RetentionResult> {
      if (config.retention === false) return { deleted: 0, batches: 0 };
      return runChangeLogRetention(db, {
        maxAgeMs: config.retention.maxAge,
        batchSize: config.retention.batchSize,
        maxBatchesPerRun: config.retention.maxBatchesPerRun,
        signal: runOptions.signal,
      });
    },

    status(): ChangeLogSourceStatus {
      return { state, inFlight: inFlight.size, heldBackSince, lastError, listening };
    },

    services: () => db.services(),

    async close(): Promise<void> {
      if (state === 'closed') return;
      const wasStarted = state !== 'idle';
      stopFetching();
      await pump;
      await firstStats;
      for (const timer of timers) clearInterval(timer);
      while (pendingSettlements.size > 0) await Promise.all(pendingSettlements);
      await batcher.flush();
      state = 'closed';
      if (wasStarted && (inFlight.size > 0 || batches.size > 0)) {
        inFlight.clear();
        batches.clear();
        detachedCount = 0;
        await db.query(RELEASE_LEASES, [consumer, workerId]).catch((error: unknown) => {
          fail(error, 'could not release leases on close; they expire on their own');
        });
      }
      await unlisten?.().catch(() => undefined);
      logger.info(log, 'change-log source closed');
    },

    async [Symbol.asyncDispose](): Promise<void> {
      await source.close();
    },
  };
  return source;
}

const JSON_COLUMNS = ['object_data', 'object_data_before', 'extra_metadata'] as const;

/**
 * Claim rounds read JSON columns as text. A column holding a JSON string (FraiseQL stored some
 * documents as a jsonb string) then arrives quoted: unquote it once, so it reaches the event
 * converter as the string a jsonb column would have given, and is parsed there like one.
 */
function unwrapJsonStrings(row: ClaimedRow): ClaimedRow {
  let unwrapped: Record<string, unknown> | undefined;
  for (const column of JSON_COLUMNS) {
    const value: unknown = row[column];
    if (typeof value === 'string' && value.charCodeAt(0) === 34) {
      unwrapped ??= { ...row };
      unwrapped[column] = JSON.parse(value) as unknown;
    }
  }
  return (unwrapped ?? row) as ClaimedRow;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
