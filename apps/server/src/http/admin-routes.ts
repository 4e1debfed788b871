import { isJobQueueError, type JobQueueAdmin } from '@fraiseql/job-queue';
import { isObserverError, type DeadLetterFilter } from '@fraiseql/observers';
import type { ObserverStack } from '../observers/observer-stack.js';
import { HttpError, type Route, type RouteHandler } from './http-server.js';

type ObserverAction = 'pause' | 'resume' | 'enable' | 'disable';
const OBSERVER_ACTIONS: readonly ObserverAction[] = ['pause', 'resume', 'enable', 'disable'];

/**
 * The admin API: observers with their state, pause/resume/enable/disable, and the dead-letter
 * queue. The server puts every route behind the admin token (see `guardRoute`).
 */
export function adminRoutes(stack: ObserverStack): Route[] {
  const observerRoutes = OBSERVER_ACTIONS.map((action): Route => ({
    method: 'POST',
    pattern: `/admin/observers/:name/${action}`,
    handler: ({ params }) => {
      const name = params.name ?? '';
      if (stack.matcher.state(name) === undefined) {
        throw new HttpError(404, `no observer named ${JSON.stringify(name)}`);
      }
      stack.matcher[action](name);
      return Promise.resolve({ status: 200, body: { name, state: stack.matcher.state(name) } });
    },
  }));
  return [
    ...(stack.jobQueue === undefined ? [] : jobQueueRoutes(stack.jobQueue)),
    {
      method: 'GET',
      pattern: '/admin/observers',
      handler: () =>
        Promise.resolve({
          status: 200,
          body: { origin: stack.configOrigin, observers: stack.matcher.list() },
        }),
    },
    ...observerRoutes,
    {
      method: 'GET',
      pattern: '/admin/dlq',
      handler: async ({ query }) => {
        const limit = numberParam(query.get('limit'), 'limit');
        const offset = numberParam(query.get('offset'), 'offset');
        const items = await stack.dlq.list({
          ...filterOf(query),
          ...(limit === undefined ? {} : { limit }),
          ...(offset === undefined ? {} : { offset }),
        });
        return { status: 200, body: { items } };
      },
    },
    {
      method: 'GET',
      pattern: '/admin/dlq/stats',
      handler: async ({ query }) => ({ status: 200, body: await stack.dlq.stats(filterOf(query)) }),
    },
    {
      method: 'GET',
      pattern: '/admin/dlq/:id',
      handler: notFoundAware(async ({ params }) => ({
        status: 200,
        body: await stack.dlq.show(params.id ?? ''),
      })),
    },
    {
      method: 'POST',
      pattern: '/admin/dlq/:id/retry',
      handler: notFoundAware(async ({ params, actor }) => {
        // The retry's attempts are logged as a dead-letter retry by whoever asked.
        const item = await stack.dlq.show(params.id ?? '');
        const body = await stack.invocations.tagged(
          { eventId: item.event.id, observer: item.observer },
          { trigger: 'dlq-retry', actor: actor?.name },
          () => stack.dlq.retry(item.id),
        );
        await stack.invocations.flush();
        return { status: 200, body };
      }),
    },
    {
      method: 'POST',
      pattern: '/admin/dlq/retry-all',
      handler: async ({ query }) => ({
        status: 200,
        body: await stack.dlq.retryAll(filterOf(query)),
      }),
    },
    {
      method: 'DELETE',
      pattern: '/admin/dlq/:id',
      handler: notFoundAware(async ({ params }) => {
        const removed = await stack.dlq.remove(params.id ?? '');
        if (!removed) throw new HttpError(404, `no dead letter ${JSON.stringify(params.id)}`);
        return { status: 200, body: { removed } };
      }),
    },
  ];
}

/** Queue stats and the job dead-letter queue (present when Redis is configured). */
function jobQueueRoutes(admin: JobQueueAdmin): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/admin/queue/stats',
      handler: async () => ({ status: 200, body: { queues: await admin.stats() } }),
    },
    {
      method: 'GET',
      pattern: '/admin/queue/:queue/dlq',
      handler: async ({ params, query }) => {
        const limit = numberParam(query.get('limit'), 'limit');
        const offset = numberParam(query.get('offset'), 'offset');
        const items = await admin.dlq.list(params.queue ?? '', {
          ...(limit === undefined ? {} : { limit }),
          ...(offset === undefined ? {} : { offset }),
        });
        return { status: 200, body: { items } };
      },
    },
    {
      method: 'GET',
      pattern: '/admin/queue/:queue/dlq/:id',
      handler: notFoundAware(async ({ params }) => ({
        status: 200,
        body: await admin.dlq.show(params.queue ?? '', params.id ?? ''),
      })),
    },
    {
      method: 'POST',
      pattern: '/admin/queue/:queue/dlq/:id/replay',
      handler: notFoundAware(async ({ params }) => ({
        status: 200,
        body: await admin.dlq.replay(params.queue ?? '', params.id ?? ''),
      })),
    },
    {
      method: 'POST',
      pattern: '/admin/queue/:queue/dlq/replay-all',
      handler: async ({ params }) => ({
        status: 200,
        body: await admin.dlq.replayAll(params.queue ?? ''),
      }),
    },
    {
      method: 'DELETE',
      pattern: '/admin/queue/:queue/dlq',
      handler: async ({ params, query }) => {
        const olderThan = query.get('olderThan') ?? '0';
        return {
          status: 200,
          body: { purged: await admin.dlq.purge(params.queue ?? '', { olderThan }) },
        };
      },
    },
  ];
}

function notFoundAware(handler: RouteHandler): RouteHandler {
  return async (request) => {
    try {
      return await handler(request);
    } catch (error) {
      if (isJobQueueError(error, 'JOB_NOT_FOUND')) throw new HttpError(404, error.message);
      if (isObserverError(error, 'DLQ_NOT_FOUND')) throw new HttpError(404, error.message);
      if (isObserverError(error, 'INVALID_ARGUMENT')) throw new HttpError(400, error.message);
      throw error;
    }
  };
}

function filterOf(query: URLSearchParams): DeadLetterFilter {
  const observer = query.get('observer');
  const entityType = query.get('entityType');
  const since = dateParam(query.get('since'), 'since');
  const until = dateParam(query.get('until'), 'until');
  return {
    ...(observer === null ? {} : { observer }),
    ...(entityType === null ? {} : { entityType }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
  };
}

function numberParam(value: string | null, name: string): number | undefined {
  if (value === null) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new HttpError(
      400,
      `${name}: expected a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  return parsed;
}

function dateParam(value: string | null, name: string): Date | undefined {
  if (value === null) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new HttpError(400, `${name}: expected an ISO-8601 time, got ${JSON.stringify(value)}`);
  return date;
}
