import type { ElasticsearchConnection } from '../client/elasticsearch-connection.js';
import { ElasticsearchError, isElasticsearchError } from '../errors.js';
import type { EventIndexLayout } from './event-index-layout.js';
import { eventTemplateRequests, type EventTemplateOptions } from './event-templates.js';

/** What {@link ensureEventTemplates} did. */
export interface EventTemplateSetup {
  /** Paths written, in order (`/_ilm/policy/…`, `/_component_template/…`, `/_index_template/…`). */
  readonly applied: readonly string[];
  /** Whether an ILM policy was written (Elasticsearch with ILM and a rollover or retention). */
  readonly lifecycle: boolean;
}

/**
 * Creates or updates, idempotently, the lifecycle policy and templates of event history (each
 * is a `PUT` of the full definition, so running it again changes nothing).
 *
 * @throws {ElasticsearchError} `SETUP_FAILED` naming the object, with the server's reason; or
 * `UNAVAILABLE` (retryable) when the server cannot be reached.
 */
export async function ensureEventTemplates(
  connection: ElasticsearchConnection,
  layout: EventIndexLayout,
  options: EventTemplateOptions,
  signal?: AbortSignal,
): Promise<EventTemplateSetup> {
  const server = await connection.serverInfo(signal === undefined ? {} : { signal });
  if (layout.mode === 'data-stream' && !server.dataStreams) {
    throw new ElasticsearchError(
      'SETUP_FAILED',
      `${server.distribution} ${server.version} has no data streams: use index mode "monthly"`,
    );
  }
  const requests = eventTemplateRequests(server, layout, options);
  for (const request of requests) {
    try {
      await connection.request(
        { method: 'PUT', path: request.path, body: request.body },
        { doing: `put ${request.path}`, signal },
      );
    } catch (error) {
      if (isElasticsearchError(error) && !error.retryable) {
        throw new ElasticsearchError('SETUP_FAILED', error.message, {
          cause: error,
          ...(error.status === undefined ? {} : { status: error.status }),
          reason: error.reason,
        });
      }
      throw error;
    }
  }
  return {
    applied: requests.map((request) => request.path),
    lifecycle: requests.some((request) => request.path.startsWith('/_ilm/')),
  };
}
