/** Exposition formats `/metrics` can answer in. */
export type MetricsFormat = 'prometheus' | 'openmetrics';

/** Content type of the Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Content type of the OpenMetrics text format 1.0.0. */
export const OPENMETRICS_CONTENT_TYPE =
  'application/openmetrics-text; version=1.0.0; charset=utf-8';

/**
 * Chooses the exposition format from an `Accept` header: OpenMetrics when the client prefers
 * `application/openmetrics-text` (as Prometheus does when scraping), the Prometheus text format
 * otherwise (no header, `text/plain`, `*\/*`, a browser).
 */
export function negotiateMetricsFormat(accept: string | null | undefined): MetricsFormat {
  if (accept === null || accept === undefined || accept === '') return 'prometheus';
  let best: { format: MetricsFormat; q: number } = { format: 'prometheus', q: -1 };
  for (const part of accept.split(',')) {
    const [media = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    let q = 1;
    let version: string | undefined;
    for (const param of params) {
      const [key, value = ''] = param.split('=').map((piece) => piece.trim());
      if (key === 'q') q = Number.parseFloat(value);
      if (key === 'version') version = value;
    }
    if (!Number.isFinite(q) || q <= 0) continue;
    let format: MetricsFormat | undefined;
    if (
      media === 'application/openmetrics-text' &&
      (version === undefined || version.startsWith('1.'))
    ) {
      format = 'openmetrics';
    } else if (media === 'text/plain' || media === 'text/*' || media === '*/*') {
      format = 'prometheus';
    }
    // Ties keep the earlier entry, as clients list their preference first.
    if (format !== undefined && q > best.q) best = { format, q };
  }
  return best.format;
}
