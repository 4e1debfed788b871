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
  RENEW_LEASE,
  RENEW_LEASES,
} from './change-log-queries.js';
import { runChangeLogRetention, type RetentionResult } from './change-log-retention.js';
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
const SETTLE_RETRY_MAX_MS = 2_000;

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
  const batcher = new DoneBatcher(db, consumer, workerId);
  const wakeup = new Wakeup();
  const inFlight = new Map<string, Delivery>();
  // Unsettled deliveries the consumer detached: still leased, not counted against maxInFlight.
  const detached = new Set<string>();
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

  const fail = (error: unknown, message: string): void => {
    lastError = { message: errorMessage(error), at: new Date() };
    logger.error({ ...log, err: error }, message);
  };

  async function claimRound(): Promise<number> {
    const limit = Math.min(config.batchSize, maxInFlight - (inFlight.size - detached.size));
    if (limit <= 0) return 0;
    const reclaim = reclaimDue || Date.now() - lastReclaimAt >= RECLAIM_INTERVAL_MS;
    if (reclaim) {
      reclaimDue = false;
      lastReclaimAt = Date.now();
    }
    const claim = await claimRows(db, { consumer, workerId, leaseMs, limit, reclaim });
    // A full take-over may have left more behind: look again next round.
    if (claim.reclaimed > 0 && claim.reclaimed >= limit) reclaimDue = true;
    if (claim.rows.length > 0) metrics.sourceBatch(KIND, claim.rows.length);
    for (const row of claim.rows) dispatch(row);
    moreWaiting = claim.full;
    if (!claim.full) await checkHeldBack(claim.cursor.transactionId, claim.cursor.pk);
    return claim.rows.length;
  }

  async function checkHeldBack(cursorXid: string, cursorPk: string): Promise<void> {
    const after = await db.query<{ created_at: Date | string; claimable: boolean }>(AFTER_CURSOR, [
      cursorXid,
      cursorPk,
    ]);
    const row = after.rows[0];
    if (row === undefined || row.claimable) {
      heldBackSince = undefined;
      heldBackRecheckMs = HELD_BACK_FIRST_RECHECK_MS;
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

  function dispatch(row: ClaimedRow): void {
    const pk = String(row.pk_entity_change_log);
    const attempt = Number(row.attempts);
    // Our own lease lapsed (a stalled renewal) and we took the claim back: the delivery is
    // still with the handler, so keep the renewed lease and do not hand it out twice.
    if (inFlight.has(pk)) return;
    if (!isDeliverableRow(row)) {
      // Nothing to deliver (a NOOP change): finish the claim without a handler.
      track(batcher.finish(pk));
      return;
    }
    let event: EntityEvent;
    try {
      event = changeLogRowToEvent(row);
    } catch (error) {
      metrics.malformedEvent(KIND);
      logger.warn(
        { ...log, pk, id: row.id, err: error },
        `change-log row ${pk} (id ${row.id}) is malformed and was moved to core.tb_observer_parked: ${errorMessage(error)}`,
      );
      track(
        parkClaim(db, owner, pk, 'malformed', errorMessage(error)).catch((parkError: unknown) => {
          fail(parkError, `could not park malformed change-log row ${pk}`);
        }),
      );
      return;
    }
    const delivery = createDelivery(pk, event, attempt);
    inFlight.set(pk, delivery);
    handDelivery(onDelivery, delivery, logger, log);
  }

  function createDelivery(pk: string, event: EntityEvent, attempt: number): Delivery {
    let settled = false;
    return {
      event,
      attempt,
      async heartbeat(): Promise<void> {
        if (settled || state === 'closed') return;
        const renewed = await db.query(RENEW_LEASE, [consumer, workerId, leaseMs, pk]);
        if (renewed.rowCount === 0) {
          throw new ObserverError(
            'LEASE_LOST',
            `the lease on event ${event.id} (change-log row ${pk}) passed to another worker; its work may be repeated there`,
          );
        }
      },
      detach(): void {
        if (settled || !inFlight.has(pk)) return;
        detached.add(pk);
        wakeup.wake();
      },
      async settle(outcome: DeliveryOutcome): Promise<void> {
        if (settled) {
          throw new ObserverError('INVALID_ARGUMENT', `event ${event.id} is already settled`);
        }
        if (state === 'closed') {
          throw new ObserverError(
            'CLOSED',
            `the change-log source is closed; event ${event.id} will be delivered again`,
          );
        }
        settled = true;
        const work = settleUntilStored(pk, event, outcome);
        track(work);
        try {
          await work;
        } finally {
          // Whatever happened, stop renewing: an unsettled claim expires and is redelivered.
          inFlight.delete(pk);
          detached.delete(pk);
          wakeup.wake();
        }
      },
    };
  }

  async function settle(pk: string, event: EntityEvent, outcome: DeliveryOutcome): Promise<void> {
    const held = await settleClaim(db, batcher, owner, pk, outcome);
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
    if (!held) {
      logger.warn(
        { ...log, pk, eventId: event.id, outcome: outcome.status },
        `lease on event ${event.id} had passed to another worker before it was settled; the other worker delivers it again`,
      );
    }
  }

  /** {@link settle}, tried again after a lost connection while the source runs. */
  async function settleUntilStored(
    pk: string,
    event: EntityEvent,
    outcome: DeliveryOutcome,
  ): Promise<void> {
    for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, SETTLE_RETRY_MAX_MS)) {
      try {
        await settle(pk, event, outcome);
        return;
      } catch (error) {
        if (!isConnectionLoss(error) || !isRunning()) throw error;
        lastError = { message: errorMessage(error), at: new Date() };
        logger.warn(
          { ...log, pk, eventId: event.id, outcome: outcome.status, err: error },
          `could not settle event ${event.id}: the database connection was lost; trying again in ${delayMs}ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
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
      if (inFlight.size - detached.size >= maxInFlight) {
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
    if (inFlight.size === 0) return;
    const pks = [...inFlight.keys()];
    try {
      await db.query(`${RENEW_LEASES} AND pk_entity_change_log = ANY($4::bigint[])`, [
        consumer,
        workerId,
        leaseMs,
        pks,
      ]);
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
      for (const timer of timers) clearInterval(timer);
      while (pendingSettlements.size > 0) await Promise.all(pendingSettlements);
      await batcher.flush();
      state = 'closed';
      if (wasStarted && inFlight.size > 0) {
        inFlight.clear();
        detached.clear();
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

function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
