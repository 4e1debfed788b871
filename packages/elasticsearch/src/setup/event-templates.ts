import type { ServerInfo } from '../client/server-info.js';
import type { EventIndexLayout } from './event-index-layout.js';

/** How the event `data` field is mapped. */
export type DataMapping = 'flattened' | 'object';

/** Options of the event-history templates and lifecycle policy. */
export interface EventTemplateOptions {
  /** `flattened` keeps one mapping whatever the data holds; `object` maps each field. */
  readonly dataMapping: DataMapping;
  /** Delete indices this many days after creation (ILM); none when undefined. */
  readonly deleteAfterDays?: number | undefined;
  /** Data stream rollover threshold. @defaultValue `'30d'` */
  readonly rolloverMaxAge?: string;
  /** @defaultValue `'50gb'` */
  readonly rolloverMaxPrimaryShardSize?: string;
  readonly shards?: number | undefined;
  readonly replicas?: number | undefined;
}

/** One request of the setup: name and body, for logs and tests. */
export interface TemplateRequest {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** The names of the setup objects for a layout. */
export function templateNames(layout: EventIndexLayout): {
  readonly policy: string;
  readonly mappings: string;
  readonly settings: string;
  readonly indexTemplate: string;
} {
  return {
    policy: `${layout.prefix}-policy`,
    mappings: `${layout.prefix}-mappings`,
    settings: `${layout.prefix}-settings`,
    indexTemplate: layout.prefix,
  };
}

/** The explicit mappings of event-history documents on a server. */
export function eventMappings(
  server: ServerInfo,
  dataMapping: DataMapping,
): Record<string, unknown> {
  const keyword = { type: 'keyword' };
  const data =
    dataMapping === 'flattened' && server.flattenedType !== undefined
      ? { type: server.flattenedType }
      : { type: 'object', dynamic: true };
  return {
    dynamic: false,
    properties: {
      '@timestamp': { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
      event_id: keyword,
      seq: { type: 'long' },
      event_type: keyword,
      entity_type: keyword,
      entity_id: keyword,
      tenant_id: keyword,
      user_id: keyword,
      changed_fields: keyword,
      data,
      search_text: { type: 'text' },
    },
  };
}

/**
 * Every request that sets up event history on `server`, in order: the ILM policy (when the
 * server has ILM and a retention or rollover applies), the mappings and settings component
 * templates, the index template.
 */
export function eventTemplateRequests(
  server: ServerInfo,
  layout: EventIndexLayout,
  options: EventTemplateOptions,
): TemplateRequest[] {
  const names = templateNames(layout);
  const requests: TemplateRequest[] = [];
  const rollover = layout.mode === 'data-stream';
  const usePolicy = server.ilm && (rollover || options.deleteAfterDays !== undefined);
  if (usePolicy) {
    const phases: Record<string, unknown> = {
      hot: {
        min_age: '0ms',
        actions: rollover
          ? {
              rollover: {
                max_age: options.rolloverMaxAge ?? '30d',
                max_primary_shard_size: options.rolloverMaxPrimaryShardSize ?? '50gb',
              },
            }
          : {},
      },
    };
    if (options.deleteAfterDays !== undefined) {
      phases.delete = { min_age: `${options.deleteAfterDays}d`, actions: { delete: {} } };
    }
    requests.push({
      path: `/_ilm/policy/${encodeURIComponent(names.policy)}`,
      body: { policy: { phases, _meta: { managed_by: '@fraiseql/elasticsearch' } } },
    });
  }
  requests.push({
    path: `/_component_template/${encodeURIComponent(names.mappings)}`,
    body: {
      template: { mappings: eventMappings(server, options.dataMapping) },
      _meta: { managed_by: '@fraiseql/elasticsearch' },
    },
  });
  const settings: Record<string, unknown> = {};
  if (usePolicy) settings['index.lifecycle.name'] = names.policy;
  if (options.shards !== undefined) settings['index.number_of_shards'] = options.shards;
  if (options.replicas !== undefined) settings['index.number_of_replicas'] = options.replicas;
  requests.push({
    path: `/_component_template/${encodeURIComponent(names.settings)}`,
    body: { template: { settings }, _meta: { managed_by: '@fraiseql/elasticsearch' } },
  });
  requests.push({
    path: `/_index_template/${encodeURIComponent(names.indexTemplate)}`,
    body: {
      index_patterns: [...layout.indexPatterns],
      ...(rollover ? { data_stream: {} } : {}),
      composed_of: [names.mappings, names.settings],
      priority: 200,
      _meta: { managed_by: '@fraiseql/elasticsearch' },
    },
  });
  return requests;
}
