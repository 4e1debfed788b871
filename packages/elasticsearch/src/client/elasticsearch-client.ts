/**
 * The slice of an Elasticsearch (or OpenSearch) client this package calls: the low-level
 * `transport.request`, which both `@elastic/elasticsearch` and `@opensearch-project/opensearch`
 * expose. Every request passes `meta: true`, so both return `{ body, statusCode }`.
 */
export interface ElasticsearchClientLike {
  readonly transport: ElasticsearchTransportLike;
  /** Closes the client's connections (called only for clients this package created). */
  close?(): Promise<unknown>;
}

/** The transport of an {@link ElasticsearchClientLike}. */
export interface ElasticsearchTransportLike {
  request(
    params: TransportRequestParams,
    options: TransportRequestOptions,
  ): Promise<TransportResponse>;
}

/** One HTTP request as the client transport takes it. */
export interface TransportRequestParams {
  method: string;
  path: string;
  querystring?: Record<string, string | number | boolean>;
  /** A JSON body (serialised by the client). */
  body?: Record<string, unknown>;
  /** An NDJSON body, sent as is. */
  bulkBody?: string;
}

/** Per-request options passed to the client transport. */
export interface TransportRequestOptions {
  meta: true;
  signal?: AbortSignal;
  /** This package retries by itself (with backoff and metrics): the client must not. */
  maxRetries?: number;
  /** Milliseconds. */
  requestTimeout?: number;
  /** Statuses answered as results rather than thrown. */
  ignore?: number[];
}

/** What the transport resolves to with `meta: true`. */
export interface TransportResponse {
  readonly body: unknown;
  readonly statusCode?: number | null;
  readonly headers?: Readonly<Record<string, unknown>> | null;
}
