import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './parse-prometheus-text.js';

describe('parsePrometheusText', () => {
  it('reads counters with labels, histograms and escaped label values', () => {
    const families = parsePrometheusText(
      [
        '# HELP fraiseql_observer_action_executed_total Actions run',
        '# TYPE fraiseql_observer_action_executed_total counter',
        'fraiseql_observer_action_executed_total{action_type="webhook"} 3',
        'fraiseql_observer_action_executed_total{action_type="say \\"hi\\", ok"} 1',
        '# TYPE fraiseql_observer_action_duration_seconds histogram',
        'fraiseql_observer_action_duration_seconds_bucket{le="0.1",action_type="webhook"} 2',
        'fraiseql_observer_action_duration_seconds_bucket{le="+Inf",action_type="webhook"} 3',
        'fraiseql_observer_action_duration_seconds_sum{action_type="webhook"} 0.75',
        'fraiseql_observer_action_duration_seconds_count{action_type="webhook"} 3',
        'process_uptime 12.5 1700000000000',
        '',
      ].join('\n'),
    );
    expect(families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['fraiseql_observer_action_executed_total', 'counter', 2],
      ['fraiseql_observer_action_duration_seconds', 'histogram', 4],
      ['process_uptime', 'untyped', 1],
    ]);
    expect(families[0]?.samples[1]?.labels).toEqual({ action_type: 'say "hi", ok' });
    expect(families[1]?.samples[1]).toMatchObject({ labels: { le: '+Inf' }, value: 3 });
    expect(families[2]?.samples[0]?.value).toBe(12.5);
  });

  it('names the line of a malformed sample', () => {
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="1" 2\n')).toThrow(/line 2/);
  });
});
