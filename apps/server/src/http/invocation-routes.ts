import {
  eventToJson,
  integerParam,
  isCoreError,
  readChangeLogEvent,
  timeParam,
  type SqlClient,
} from '@fraiseql/core';
import { explainEvent, isObserverError, redeliverEvent } from '@fraiseql/observers';
import type { ObserverStack } from '../observers/observer-stack.js';
import { HttpError, type Route, type RouteHandler } from './http-server.js';

/**
 * The invocation log (`GET /admin/invocations?observer=&event=&status=&since=&after=&limit=`),
 * one event with the observers it matches and why and its invocations (`GET
 * /admin/events/:id`), and redelivery of one event to one observer (`POST
 * /admin/observers/:name/redeliver/:event`, operator role; the attempts record who asked).
 */
export function invocationRoutes(stack: ObserverStack, db: SqlClient): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/admin/invocations',
      handler: badRequestAware(async ({ query }) => {
        const param = (name: string): string | undefined => query.get(name) ?? undefined;
        const items = await stack.invocations.list({
          observer: param('observer'),
          eventId: param('event'),
          status: param('status'),
          since: timeParam(param('since'), 'since', new Date()),
          afterId: param('after'),
          limit: integerParam(param('limit'), 'limit', 1, 1000),
        });
        return {
          status: 200,
          body: { enabled: stack.invocations.enabled, items },
        };
      }),
    },
    {
      method: 'GET',
      pattern: '/admin/events/:id',
      handler: badRequestAware(async ({ params }) => {
        const id = params.id ?? '';
        const event = await readChangeLogEvent(db, id);
        if (event === undefined) throw new HttpError(404, `no change-log event ${id}`);
        return {
          status: 200,
          body: {
            event: eventToJson(event),
            observers: explainEvent(stack.matcher, event),
            invocations: await stack.invocations.list({ eventId: event.id, limit: 200 }),
          },
        };
      }),
    },
    {
      method: 'POST',
      pattern: '/admin/observers/:name/redeliver/:event',
      handler: badRequestAware(async ({ params, actor }) => {
        const name = params.name ?? '';
        const observer = stack.matcher.get(name);
        if (observer === undefined) {
          throw new HttpError(404, `no observer named ${JSON.stringify(name)}`);
        }
        const id = params.event ?? '';
        const event = await readChangeLogEvent(db, id);
        if (event === undefined) throw new HttpError(404, `no change-log event ${id}`);
        const result = await redeliverEvent({
          replay: stack.executor.replay,
          observer,
          event,
          log: stack.invocations,
          actor: actor?.name,
        });
        await stack.invocations.flush();
        return { status: 200, body: result };
      }),
    },
  ];
}

function badRequestAware(handler: RouteHandler): RouteHandler {
  return async (request) => {
    try {
      return await handler(request);
    } catch (error) {
      if (isCoreError(error, 'INVALID_ARGUMENT') || isObserverError(error, 'INVALID_ARGUMENT')) {
        throw new HttpError(400, error.message);
      }
      throw error;
    }
  };
}
