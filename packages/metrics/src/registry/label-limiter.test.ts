import { describe, expect, it } from 'vitest';
import { createObserverMetrics } from '../observers/create-observer-metrics.js';
import { createMetricsRegistry } from './create-metrics-registry.js';
import { LabelLimiter, OVERFLOW_LABEL } from './label-limiter.js';

describe('label cardinality', () => {
  it('passes the first values and folds later new ones into "other"', () => {
    const limiter = new LabelLimiter(2);
    expect(['a', 'b', 'c', 'a', 'd'].map((v) => limiter.value(v))).toEqual([
      'a',
      'b',
      OVERFLOW_LABEL,
      'a',
      OVERFLOW_LABEL,
    ]);
  });

  it('keeps breaker series bounded however many endpoints report', async () => {
    const registry = createMetricsRegistry();
    const metrics = createObserverMetrics(registry, { maxLabelValues: 3 });
    for (let i = 0; i < 50; i += 1) metrics.breakerState(`host-${i}.example`, 'open');
    const [family] = (await registry.getMetricsAsJSON()).filter(
      (f) => f.name === 'fraiseql_observer_breaker_state',
    );
    expect(family?.values.map((v) => v.labels.endpoint)).toEqual([
      'host-0.example',
      'host-1.example',
      'host-2.example',
      OVERFLOW_LABEL,
    ]);
  });
});
