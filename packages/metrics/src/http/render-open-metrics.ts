import type { MetricValue, Registry } from 'prom-client';

/**
 * Renders `registry` in the OpenMetrics 1.0 text format. prom-client's own OpenMetrics output
 * renames counters in place (dropping `_total` for good, which then breaks the Prometheus
 * format on the same registry), so the text is built here from a read-only snapshot.
 */
export async function renderOpenMetrics(registry: Registry): Promise<string> {
  const families = await registry.getMetricsAsJSON();
  const lines: string[] = [];
  for (const family of families) {
    const type = String(family.type);
    const isCounter = type === 'counter';
    const name = isCounter ? family.name.replace(/_total$/, '') : family.name;
    lines.push(`# TYPE ${name} ${type}`);
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`);
    const values = family.values;
    for (const sample of values) {
      const withName = sample as MetricValue<string> & { metricName?: string };
      const sampleName = isCounter ? `${name}_total` : (withName.metricName ?? family.name);
      lines.push(`${sampleName}${formatLabels(sample.labels)} ${formatNumber(sample.value)}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

function formatLabels(labels: Partial<Record<string, string | number>>): string {
  const parts = Object.entries(labels)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}="${escapeLabel(String(value))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
