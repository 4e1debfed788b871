import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HotCounter } from './hot-counter.js';
import { HotHistogram } from './hot-histogram.js';

function canonical(text: string): string[] {
  return text
    .split('\n')
    .map((line) =>
      line.replace(/\{(.*)\}/, (_, inner: string) => `{${inner.split(',').sort().join(',')}}`),
    );
}

// The hot collectors must expose exactly what prom-client's own would for the same calls.
describe('hot collectors', () => {
  it('render the same text as prom-client Counter and Histogram', async () => {
    const buckets = [0.01, 0.1, 1];
    const observations: [string, number][] = [
      ['webhook', 0.005],
      ['webhook', 0.1],
      ['webhook', 0.5],
      ['cache', 2],
      ['cache', 0.01],
    ];
    const ours = new Registry();
    const theirs = new Registry();
    const hotCounter = new HotCounter({
      name: 'x_total',
      help: 'x',
      labelName: 'kind',
      registers: [ours],
    });
    const hotHistogram = new HotHistogram({
      name: 'x_seconds',
      help: 'x',
      labelName: 'kind',
      buckets,
      registers: [ours],
    });
    const counter = new Counter({
      name: 'x_total',
      help: 'x',
      labelNames: ['kind'],
      registers: [theirs],
    });
    const histogram = new Histogram({
      name: 'x_seconds',
      help: 'x',
      labelNames: ['kind'],
      buckets,
      registers: [theirs],
    });
    for (const [kind, value] of observations) {
      hotCounter.cell(kind).value += 1;
      hotHistogram.cell(kind).observe(value);
      counter.inc({ kind });
      histogram.observe({ kind }, value);
    }
    ours.setDefaultLabels({ service: 's' });
    theirs.setDefaultLabels({ service: 's' });
    // Same samples; only the order of labels inside the braces may differ.
    expect(canonical(await ours.metrics())).toEqual(canonical(await theirs.metrics()));
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('x_total{');
  });
});
