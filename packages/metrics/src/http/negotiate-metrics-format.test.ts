import { describe, expect, it } from 'vitest';
import { negotiateMetricsFormat } from './negotiate-metrics-format.js';

describe('negotiateMetricsFormat', () => {
  it('answers OpenMetrics to the Accept header Prometheus scrapes with', () => {
    const prometheus =
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    expect(negotiateMetricsFormat(prometheus)).toBe('openmetrics');
  });

  it('answers the Prometheus text format without a header, for text/plain and for browsers', () => {
    expect(negotiateMetricsFormat(undefined)).toBe('prometheus');
    expect(negotiateMetricsFormat('')).toBe('prometheus');
    expect(negotiateMetricsFormat('text/plain;version=0.0.4')).toBe('prometheus');
    expect(negotiateMetricsFormat('text/html,application/xhtml+xml,*/*;q=0.8')).toBe('prometheus');
  });

  it('honours q values and ignores OpenMetrics versions it cannot write', () => {
    expect(negotiateMetricsFormat('text/plain;q=0.9,application/openmetrics-text;q=0.5')).toBe(
      'prometheus',
    );
    expect(negotiateMetricsFormat('text/plain;q=0.2,application/openmetrics-text;q=0.5')).toBe(
      'openmetrics',
    );
    expect(negotiateMetricsFormat('application/openmetrics-text;version=0.0.1')).toBe('prometheus');
    expect(negotiateMetricsFormat('application/openmetrics-text;q=0')).toBe('prometheus');
  });
});
