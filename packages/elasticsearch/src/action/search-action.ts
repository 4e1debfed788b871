import { silentLogger, type Logger } from '@fraiseql/core';
import {
  ObserverError,
  createTemplateRenderer,
  isObserverError,
  type ActionExecutor,
  type ActionResult,
  type TemplateRenderer,
} from '@fraiseql/observers';

import type { ElasticsearchConnection } from '../client/elasticsearch-connection.js';
import { errorTypeOf } from '../client/elasticsearch-failure.js';
import { isElasticsearchError } from '../errors.js';
import {
  noopElasticsearchMetrics,
  type ElasticsearchMetrics,
} from '../metrics/elasticsearch-metrics.js';
import { entityDocument } from './entity-document.js';
import type { SearchActionConfig } from './search-action-schema.js';

/** Options of {@link createSearchAction}. */
export interface SearchActionOptions {
  readonly connection: ElasticsearchConnection;
  /** @defaultValue `createTemplateRenderer()` */
  readonly templates?: TemplateRenderer;
  /** @defaultValue `noopElasticsearchMetrics` */
  readonly metrics?: ElasticsearchMetrics;
  /** @defaultValue `silentLogger` */
  readonly logger?: Logger;
}

/**
 * The executor of the `search` action type. Register it with
 * `registry.register(createSearchAction({ connection }), searchActionSchema)`.
 *
 * Each event writes the entity document with `_id` = entity id, `version` = event `seq` and
 * `version_type=external`: an older or redelivered event never overwrites a newer document,
 * and the conflict it gets is reported as success (`skipped`). `DELETE` events delete the
 * document under the same versioning; a document already gone is success too.
 */
export function createSearchAction(options: SearchActionOptions): ActionExecutor {
  const templates = options.templates ?? createTemplateRenderer();
  const metrics = options.metrics ?? noopElasticsearchMetrics;
  const logger = options.logger ?? silentLogger;
  return {
    type: 'search',
    endpoint: () => 'elasticsearch',
    async execute(rawConfig, context): Promise<ActionResult> {
      const config = rawConfig as unknown as SearchActionConfig;
      const { event } = context;
      const isDelete = event.eventType === 'DELETE';
      const querystring: Record<string, string> = {
        version: event.seq.toString(),
        version_type: 'external',
      };
      if (config.routing === 'tenant' && event.tenantId !== undefined) {
        querystring.routing = event.tenantId;
      }
      const path = `/${encodeURIComponent(config.index)}/_doc/${encodeURIComponent(event.entityId)}`;
      const what = `${isDelete ? 'delete' : 'index'} ${event.entityType} document in ${config.index}`;
      const body = isDelete ? undefined : entityDocument(config, event, templates);
      const started = performance.now();
      let answer;
      try {
        answer = await options.connection.request(
          {
            method: isDelete ? 'DELETE' : 'PUT',
            path,
            querystring,
            ...(body === undefined ? {} : { body }),
          },
          { doing: what, signal: context.signal, accept: isDelete ? [404, 409] : [409] },
        );
      } catch (error) {
        const failure = toObserverError(error);
        metrics.itemFailed('action', failure.errorType, 1);
        throw failure;
      }
      metrics.requestDuration(
        'action',
        isDelete ? 'delete' : 'index',
        (performance.now() - started) / 1000,
      );
      const version = event.seq.toString();
      if (answer.status === 409) {
        const type = errorTypeOf(answer.body);
        if (type !== undefined && type !== 'version_conflict_engine_exception') {
          const failure = new ObserverError('ACTION_FAILED', `${what}: HTTP 409 ${type}`, {
            retryable: true,
            errorType: type,
          });
          metrics.itemFailed('action', type, 1);
          throw failure;
        }
        metrics.versionConflictSkipped('action', 1);
        logger.debug(
          { index: config.index, version },
          'search: a newer version is stored; skipped',
        );
        return {
          summary: `${what}: skipped, version ${version} is not newer than the stored one`,
          details: { index: config.index, version, result: 'skipped' },
        };
      }
      const result = (answer.body as { result?: unknown } | null | undefined)?.result;
      const outcome =
        answer.status === 404 ? 'not_found' : typeof result === 'string' ? result : 'ok';
      if (answer.status !== 404) metrics.documentsIndexed('action', 1);
      return {
        summary: `${what}: ${outcome} (version ${version})`,
        details: { index: config.index, version, result: outcome },
      };
    },
  };
}

function toObserverError(error: unknown): ObserverError {
  if (isObserverError(error)) return error;
  if (isElasticsearchError(error)) {
    const timeout = error.code === 'TIMEOUT';
    return new ObserverError(timeout ? 'ACTION_TIMEOUT' : 'ACTION_FAILED', error.message, {
      cause: error,
      retryable: error.retryable,
      errorType: error.reason,
    });
  }
  return new ObserverError(
    'ACTION_FAILED',
    error instanceof Error ? error.message : String(error),
    {
      cause: error,
      retryable: true,
      errorType: 'error',
    },
  );
}
