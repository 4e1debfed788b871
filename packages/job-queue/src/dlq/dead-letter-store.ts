import type { Redis } from 'ioredis';
import type { JobAttemptError, JobData } from '../jobs/job-data.js';

/**
 * Why a job was dead-lettered: the retry policy gave up (`permanent`, `max-attempts`,
 * `max-elapsed`), the worker's config no longer has the action (`observer-changed`), or the
 * job's worker died (lost its lock) more than `maxStalledCount` times (`stalled`).
 */
export type DeadLetterReason =
  'permanent' | 'max-attempts' | 'max-elapsed' | 'observer-changed' | 'stalled';

/** A job in the dead-letter queue: its payload, last error and attempt history. */
export interface DeadLetterJob {
  readonly jobId: string;
  readonly queue: string;
  readonly reason: DeadLetterReason;
  /** The failure of the last attempt. */
  readonly error: JobAttemptError;
  /** The job as it was when it gave up; `data.attempts` is the attempt history. */
  readonly data: JobData;
  /** Epoch milliseconds. */
  readonly deadAt: number;
}

/** Redis keys of the dead letters of `queue`: a sorted set by time of death and a hash of JSON. */
export function deadLetterKeys(prefix: string, queue: string): { index: string; items: string } {
  const base = `${prefix}:${queue}:dlq`;
  return { index: base, items: `${base}:items` };
}

/**
 * Dead letters of one prefix in Redis: per queue a sorted set of job ids by time of death and
 * a hash of their JSON. BullMQ itself only has a failed set, trimmed by retention and without
 * a replay that resets attempts.
 */
export class DeadLetterStore {
  readonly #client: Redis;
  readonly #prefix: string;

  constructor(client: Redis, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  #keys(queue: string): { index: string; items: string } {
    return deadLetterKeys(this.#prefix, queue);
  }

  /** Stores (or replaces) a dead letter. */
  async add(entry: DeadLetterJob): Promise<void> {
    const { index, items } = this.#keys(entry.queue);
    await this.#client
      .multi()
      .hset(items, entry.jobId, JSON.stringify(entry))
      .zadd(index, entry.deadAt, entry.jobId)
      .exec();
  }

  /** Dead letters of `queue`, newest first. */
  async list(queue: string, offset: number, limit: number): Promise<DeadLetterJob[]> {
    const { index, items } = this.#keys(queue);
    const ids = await this.#client.zrevrange(index, offset, offset + limit - 1);
    if (ids.length === 0) return [];
    const values = await this.#client.hmget(items, ...ids);
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as DeadLetterJob]));
  }

  /** One dead letter, if present. */
  async get(queue: string, jobId: string): Promise<DeadLetterJob | undefined> {
    const value = await this.#client.hget(this.#keys(queue).items, jobId);
    return value === null ? undefined : (JSON.parse(value) as DeadLetterJob);
  }

  /** Removes dead letters; resolves to how many were there. */
  async remove(queue: string, jobIds: readonly string[]): Promise<number> {
    if (jobIds.length === 0) return 0;
    const { index, items } = this.#keys(queue);
    const replies = await this.#client
      .multi()
      .zrem(index, ...jobIds)
      .hdel(items, ...jobIds)
      .exec();
    return Number(replies?.[0]?.[1] ?? 0);
  }

  /** Ids of dead letters that died at or before `before` (epoch ms), oldest first. */
  async idsUpTo(queue: string, before: number, limit: number): Promise<string[]> {
    return this.#client.zrangebyscore(this.#keys(queue).index, '-inf', before, 'LIMIT', 0, limit);
  }

  /** Number of dead letters of `queue`. */
  async count(queue: string): Promise<number> {
    return this.#client.zcard(this.#keys(queue).index);
  }
}
