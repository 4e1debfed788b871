import type { JobQueueAdmin } from '@fraiseql/job-queue';
import type { Command, CommandContext, OptionSpec } from '../command.js';
import { importOptional } from '../context/import-optional.js';
import { CliError } from '../errors.js';
import { duration, integer } from '../options/option-parsers.js';
import { formatTable } from '../output/format-table.js';
import { createProgress } from '../output/progress.js';
import { print } from '../output/print.js';

const REDIS = {
  redis: {
    type: 'string',
    value: 'url',
    description: 'Redis URL (default: REDIS_URL, then redis://127.0.0.1:6379)',
  },
  prefix: {
    type: 'string',
    value: 'prefix',
    default: 'fraiseql',
    description: 'key prefix of the queues',
  },
  queue: { type: 'string', value: 'name', default: 'default', description: 'queue name' },
} as const satisfies Record<string, OptionSpec>;

async function withAdmin<T>(
  context: CommandContext,
  use: (admin: JobQueueAdmin, queue: string) => Promise<T>,
): Promise<T> {
  const flag = context.values.redis;
  const redisUrl = typeof flag === 'string' ? flag : context.env.REDIS_URL;
  const name = String(context.values.queue);
  // An optional peer loaded on use: BullMQ and ioredis are heavy and only these commands need them.
  const { createJobQueue, createJobQueueAdmin } = await importOptional(
    () => import('@fraiseql/job-queue'),
    '@fraiseql/job-queue',
    'fraiseql queue',
  );
  const queue = createJobQueue({
    ...(redisUrl === undefined || redisUrl === '' ? {} : { redisUrl }),
    prefix: String(context.values.prefix),
    defaultQueue: name,
    env: context.env,
  });
  try {
    return await use(createJobQueueAdmin({ queue, queues: [name] }), name);
  } finally {
    await queue.close();
  }
}

const stats: Command = {
  path: ['queue', 'stats'],
  summary: 'job counts per state and dead letters of a queue',
  options: REDIS,
  examples: ['fraiseql queue stats', 'fraiseql queue stats --queue emails --json'],
  run: (context) =>
    withAdmin(context, async (admin) => {
      const all = await admin.stats();
      print(context, all, () =>
        formatTable(
          ['QUEUE', 'WAITING', 'ACTIVE', 'DELAYED', 'COMPLETED', 'FAILED', 'PAUSED', 'DEAD'],
          all.map((s) => [
            s.queue,
            s.waiting,
            s.active,
            s.delayed,
            s.completed,
            s.failed,
            s.paused,
            s.deadLettered,
          ]),
        ),
      );
      return 0;
    }),
};

const dlqList: Command = {
  path: ['queue', 'dlq', 'list'],
  summary: 'dead-lettered jobs of a queue, newest first',
  options: {
    ...REDIS,
    limit: {
      type: 'string',
      value: 'n',
      default: '50',
      parse: integer(1, 10_000),
      description: 'most items (1 to 10000)',
    },
  },
  examples: ['fraiseql queue dlq list --queue default --json'],
  run: (context) =>
    withAdmin(context, async (admin, queue) => {
      const items = await admin.dlq.list(queue, { limit: Number(context.values.limit) });
      print(context, items, () =>
        formatTable(
          ['JOB', 'REASON', 'ERROR', 'DEAD AT'],
          items.map((item) => [item.jobId, item.reason, item.error.message, new Date(item.deadAt)]),
        ),
      );
      return 0;
    }),
};

/** A `queue dlq <verb> <job-id>` command: one admin call on a job, its result printed. */
function jobCommand<T>(
  verb: string,
  summary: string,
  act: (admin: JobQueueAdmin, queue: string, jobId: string) => Promise<T>,
  text: (result: T) => string,
): Command {
  return {
    path: ['queue', 'dlq', verb],
    summary,
    args: [
      { name: 'job-id', description: 'the dead-lettered job id, as `queue dlq list` shows it' },
    ],
    options: REDIS,
    examples: [`fraiseql queue dlq ${verb} 0b9c…:order-shipped:0`],
    run: (context) =>
      withAdmin(context, async (admin, queue) => {
        const result = await act(admin, queue, context.positionals[0] ?? '');
        print(context, result, () => text(result));
        return 0;
      }),
  };
}

const dlqShow = jobCommand(
  'show',
  'one dead-lettered job with its data and error',
  (admin, queue, jobId) => admin.dlq.show(queue, jobId),
  (item) => `${JSON.stringify(item, null, 2)}\n`,
);

const dlqReplay = jobCommand(
  'replay',
  'send a dead-lettered job back to its queue',
  (admin, queue, jobId) => admin.dlq.replay(queue, jobId),
  (job) => `replayed ${job.jobId} into ${job.queue}\n`,
);

const dlqReplayAll: Command = {
  path: ['queue', 'dlq', 'replay-all'],
  summary: 'send every dead-lettered job of a queue back',
  options: REDIS,
  examples: ['fraiseql queue dlq replay-all --queue default'],
  run: (context) =>
    withAdmin(context, async (admin, queue) => {
      const progress = createProgress(context.terminal, 'replaying', 1, context.json);
      const result = await admin.dlq.replayAll(queue);
      progress.tick(`${String(result.replayed)} replayed`);
      progress.done();
      print(
        context,
        result,
        () =>
          `replayed ${String(result.replayed)}, ${String(result.failed.length)} failed\n${result.failed.map((f) => `  ${f.jobId}: ${f.error}\n`).join('')}`,
      );
      return result.failed.length > 0 ? 1 : 0;
    }),
};

const dlqPurge: Command = {
  path: ['queue', 'dlq', 'purge'],
  summary: 'delete dead-lettered jobs for good: those older than an age, or --all',
  details:
    'There is no default: purge deletes nothing unless --older-than or --all says what to delete.',
  options: {
    ...REDIS,
    'older-than': {
      type: 'string',
      value: 'age',
      parse: duration,
      description: 'delete the dead letters older than this age: 30m, 12h, 7d, …',
    },
    all: { type: 'boolean', description: 'delete every dead letter of the queue' },
  },
  examples: [
    'fraiseql queue dlq purge --older-than 7d',
    'fraiseql queue dlq purge --all --queue emails',
  ],
  async run(context) {
    const olderThan = context.values['older-than'];
    const all = context.values.all === true;
    if ((typeof olderThan === 'number') === all) {
      throw new CliError(
        'USAGE',
        all
          ? '--all and --older-than cannot be combined: pick one'
          : 'say which dead letters to delete: --older-than <age> (for example 7d) or --all',
      );
    }
    return withAdmin(context, async (admin, queue) => {
      const purged = await admin.dlq.purge(queue, {
        olderThan: typeof olderThan === 'number' ? olderThan : 0,
      });
      print(context, { purged }, () => `purged ${String(purged)} dead letter(s)\n`);
      return 0;
    });
  },
};

/** `fraiseql queue …`: the job queue in Redis. */
export const queueCommands: readonly Command[] = [
  stats,
  dlqList,
  dlqShow,
  dlqReplay,
  dlqReplayAll,
  dlqPurge,
];
