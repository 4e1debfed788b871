import { createRequire } from 'node:module';
import { Job, type JobsOptions, type Queue } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';
import { deadLetterKeys } from '../dlq/dead-letter-store.js';
import { JobQueueError } from '../errors.js';
import type { JobData } from '../jobs/job-data.js';

/** What one enqueue script call decided (`enqueued` when it added the job). */
export type ScriptOutcome =
  'enqueued' | 'duplicate-pending' | 'duplicate-finished' | 'dead-lettered';

const DEAD_LETTERED = -1001;
const DUPLICATE_FINISHED = -1002;
const DUPLICATE_PENDING = -1003;

/** Name of the command {@link defineEnqueueCommand} adds to a client. */
const COMMAND = 'fraiseqlEnqueue';

/** Keys BullMQ's add-standard-job script takes; ours come after them. */
const BULL_KEYS = 9;

/**
 * Runs before BullMQ's own add-standard-job script, in the same script, so the enqueue outcome
 * and the add are one atomic step and one round trip:
 *
 *   KEYS[10] the job hash, KEYS[11] the queue's failed set, KEYS[12] the dead letters hash;
 *   ARGV[4] the job id, ARGV[5] keepFinished (ms), ARGV[6] now (epoch ms).
 *
 * A dead-lettered id, a pending job and a job finished within keepFinished return a negative
 * code and add nothing. A job that finished longer ago is removed (as BullMQ's removeJob does
 * for a finished job without parent or deduplication, which jobs of this package never have),
 * and BullMQ's script then adds the new one. BullMQ's script reads KEYS[1..9] and ARGV[1..3]
 * only, so the extra keys and arguments leave it unchanged.
 */
const PREAMBLE = `
do
  local jobKey = KEYS[10]
  local jobId = ARGV[4]
  if redis.call("HEXISTS", KEYS[12], jobId) == 1 then return ${String(DEAD_LETTERED)} end
  local finishedOn = redis.call("HGET", jobKey, "finishedOn")
  if finishedOn then
    if tonumber(ARGV[6]) - tonumber(finishedOn) < tonumber(ARGV[5]) then
      return ${String(DUPLICATE_FINISHED)}
    end
    local prev = "completed"
    if redis.call("ZREM", KEYS[5], jobId) == 0 then
      redis.call("ZREM", KEYS[11], jobId)
      prev = "failed"
    end
    redis.call("DEL", jobKey, jobKey .. ":logs", jobKey .. ":dependencies",
      jobKey .. ":processed", jobKey .. ":failed", jobKey .. ":unsuccessful")
    local maxEvents = tonumber(redis.call("HGET", KEYS[3], "opts.maxLenEvents")) or 10000
    redis.call("XADD", KEYS[8], "MAXLEN", "~", maxEvents, "*", "event", "removed",
      "jobId", jobId, "prev", prev)
  elseif redis.call("EXISTS", jobKey) == 1 then
    return ${String(DUPLICATE_PENDING)}
  end
end
`;

interface BullScript {
  readonly content: string;
  readonly keys: number;
}

/**
 * BullMQ's add-standard-job Lua script (compiled with its includes). It is not part of BullMQ's
 * public API: when a BullMQ version moves or changes it this throws at construction, and the
 * enqueue tests fail, rather than enqueuing wrongly.
 */
function bullAddStandardJob(): BullScript {
  const require = createRequire(import.meta.url);
  let loaded: unknown;
  try {
    loaded = (require('bullmq/dist/cjs/scripts/addStandardJob-9.js') as Record<string, unknown>)
      .addStandardJob;
  } catch (error) {
    throw new JobQueueError('ENQUEUE_FAILED', 'BullMQ has no addStandardJob-9 script', {
      cause: error,
    });
  }
  const script = loaded as Partial<BullScript> | undefined;
  if (typeof script?.content !== 'string' || script.keys !== BULL_KEYS) {
    throw new JobQueueError(
      'ENQUEUE_FAILED',
      `BullMQ's addStandardJob script is not the expected one (${String(BULL_KEYS)} keys)`,
    );
  }
  return { content: script.content, keys: script.keys };
}

let lua: string | undefined;

/** Adds the enqueue command to `client` (once per client). */
export function defineEnqueueCommand(client: Redis): void {
  if (COMMAND in client) return;
  lua ??= PREAMBLE + bullAddStandardJob().content;
  client.defineCommand(COMMAND, { numberOfKeys: BULL_KEYS + 3, lua });
}

/** One job to enqueue. */
export interface ScriptJob {
  readonly queue: Queue<JobData>;
  readonly name: string;
  readonly data: JobData;
  readonly opts: JobsOptions & { readonly jobId: string };
}

/**
 * Encodes `job` with BullMQ's own `Job` (as `Queue.add` does) and hands the arguments of the
 * enqueue command to `send`, synchronously. The returned promise rejects on invalid job
 * options and must be awaited.
 */
function encodeEnqueue(
  job: ScriptJob,
  settings: EnqueueSettings,
  send: (args: unknown[]) => void,
): Promise<unknown> {
  const { queue, opts } = job;
  const deadLetters = deadLetterKeys(settings.prefix, queue.name).items;
  const target = {
    runCommand(name: string, args: unknown[]): number {
      if (!name.startsWith('addStandardJob:')) {
        throw new JobQueueError('ENQUEUE_FAILED', `unexpected BullMQ add command ${name}`);
      }
      // BullMQ's keys, ours, BullMQ's arguments, ours (see PREAMBLE).
      const sent: unknown[] = args.slice(0, BULL_KEYS);
      sent.push(queue.toKey(opts.jobId), queue.toKey('failed'), deadLetters);
      for (let i = BULL_KEYS; i < args.length; i += 1) sent.push(args[i]);
      sent.push(opts.jobId, settings.keepFinishedMs, settings.now);
      send(sent);
      // BullMQ awaits this value and reads a negative one as its own error code: the reply is
      // read by the caller instead.
      return 0;
    },
  };
  const bullJob = new Job<JobData>(queue, job.name, job.data, opts, opts.jobId);
  return bullJob.addJob(target as unknown as Parameters<Job['addJob']>[0]);
}

/** What the enqueue command needs besides the job. */
export interface EnqueueSettings {
  /** Key prefix (for the dead letters hash). */
  readonly prefix: string;
  readonly keepFinishedMs: number;
  /** Epoch milliseconds the `keepFinished` window is measured at. */
  readonly now: number;
}

type Command = (args: unknown[]) => unknown;

function commandOf(target: Redis | ChainableCommander): Command {
  const command = (target as unknown as Record<string, Command | undefined>)[COMMAND];
  if (command === undefined) {
    throw new JobQueueError('ENQUEUE_FAILED', 'the enqueue command is not defined');
  }
  return command.bind(target);
}

/**
 * Enqueues one job with one command on `client` (prepared with {@link defineEnqueueCommand}):
 * no pipeline to build for a single job.
 */
export async function enqueueOne(
  client: Redis,
  job: ScriptJob,
  settings: EnqueueSettings,
): Promise<ScriptOutcome> {
  const command = commandOf(client);
  let reply: unknown;
  await encodeEnqueue(job, settings, (args) => {
    reply = command(args);
  });
  return outcomeOf(await reply);
}

/** Enqueues `jobs` in order in one pipeline (one round trip) on `client`. */
export async function enqueueAll(
  client: Redis,
  jobs: readonly ScriptJob[],
  settings: EnqueueSettings,
): Promise<ScriptOutcome[]> {
  const pipeline = client.pipeline();
  const command = commandOf(pipeline);
  await Promise.all(jobs.map((job) => encodeEnqueue(job, settings, command)));
  const replies = (await pipeline.exec()) ?? [];
  return jobs.map((_, index) => {
    const reply = replies[index];
    if (reply === undefined) throw new JobQueueError('ENQUEUE_FAILED', 'no reply to an enqueue');
    if (reply[0] !== null) throw reply[0];
    return outcomeOf(reply[1]);
  });
}

/** Reads the reply of one enqueue command. */
function outcomeOf(value: unknown): ScriptOutcome {
  if (typeof value === 'string') return 'enqueued';
  switch (value) {
    case DEAD_LETTERED:
      return 'dead-lettered';
    case DUPLICATE_FINISHED:
      return 'duplicate-finished';
    case DUPLICATE_PENDING:
      return 'duplicate-pending';
    default:
      throw new JobQueueError('ENQUEUE_FAILED', `BullMQ refused the job (code ${String(value)})`);
  }
}
