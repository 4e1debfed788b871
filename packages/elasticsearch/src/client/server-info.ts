/** What the server is and which optional APIs this package may use on it. */
export interface ServerInfo {
  readonly distribution: 'elasticsearch' | 'opensearch';
  /** `9.1.0`, `2.17.1`. */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  /** Elastic's serverless offering (no ILM). */
  readonly serverless: boolean;
  /** Index lifecycle management (Elasticsearch, not serverless). OpenSearch has ISM instead. */
  readonly ilm: boolean;
  /** Data streams (Elasticsearch 7.9+, OpenSearch 1.0+). */
  readonly dataStreams: boolean;
  /**
   * The field type that indexes a whole JSON object as keywords: `flattened` (Elasticsearch
   * 7.3+), `flat_object` (OpenSearch 2.7+), or `undefined` (use a dynamic object).
   */
  readonly flattenedType: 'flattened' | 'flat_object' | undefined;
}

/** Reads the answer of `GET /` into a {@link ServerInfo}. */
export function serverInfoOf(body: unknown): ServerInfo {
  const version = (body as { version?: Record<string, unknown> } | null | undefined)?.version;
  const number = typeof version?.number === 'string' ? version.number : '0.0.0';
  const opensearch = version?.distribution === 'opensearch';
  const serverless = version?.build_flavor === 'serverless';
  const [major = 0, minor = 0] = number.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const atLeast = (m: number, n: number): boolean => major > m || (major === m && minor >= n);
  return Object.freeze({
    distribution: opensearch ? 'opensearch' : 'elasticsearch',
    version: number,
    major,
    minor,
    serverless,
    ilm: !opensearch && !serverless && atLeast(6, 6),
    dataStreams: opensearch || atLeast(7, 9),
    flattenedType: opensearch
      ? atLeast(2, 7)
        ? 'flat_object'
        : undefined
      : atLeast(7, 3)
        ? 'flattened'
        : undefined,
  });
}
