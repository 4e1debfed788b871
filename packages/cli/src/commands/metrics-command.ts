import { redactUrl } from '@fraiseql/core';
import type { Command } from '../command.js';
import { messageOf } from '../context/open-database.js';
import { CliError } from '../errors.js';
import { parsePrometheusText, type MetricFamily } from '../metrics/parse-prometheus-text.js';
import { formatTable } from '../output/format-table.js';
import { print } from '../output/print.js';

interface Row {
  readonly metric: string;
  readonly type: string;
  readonly labels: string;
  readonly value: number;
  /** Histograms and summaries: observations and their mean. */
  readonly count?: number;
  readonly mean?: number;
}

/** `fraiseql metrics`: scrapes a Prometheus endpoint and prints a readable table. */
export const metricsCommand: Command = {
  path: ['metrics'],
  summary: 'scrape a /metrics endpoint and print its metrics as a table',
  args: [
    {
      name: 'url',
      required: false,
      description: 'the /metrics endpoint (default: http://127.0.0.1:8080/metrics)',
    },
  ],
  options: {
    filter: {
      type: 'string',
      value: 'text',
      description: 'only metrics whose name contains this text',
    },
    all: {
      type: 'boolean',
      description: 'include process and Node.js runtime metrics (default: fraiseql_* only)',
    },
    token: {
      type: 'string',
      value: 'token',
      description:
        'admin token, for a server that serves /metrics only with one (default: FRAISEQL_ADMIN_TOKEN)',
    },
  },
  examples: [
    'fraiseql metrics http://127.0.0.1:8080/metrics',
    'fraiseql metrics http://127.0.0.1:8080/metrics --filter dlq --json',
    'fraiseql metrics --token "$(cat .fraiseql/admin-token)"',
  ],
  async run(context) {
    const url = context.positionals[0] ?? 'http://127.0.0.1:8080/metrics';
    const token =
      typeof context.values.token === 'string'
        ? context.values.token
        : context.env.FRAISEQL_ADMIN_TOKEN;
    let text: string;
    try {
      const response = await fetch(url, {
        signal: context.signal,
        headers: {
          accept: 'text/plain',
          ...(token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` }),
        },
      });
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        throw new CliError(
          'FAILED',
          token === undefined || token === ''
            ? `${redactUrl(url)} answered HTTP ${String(response.status)}: the server serves /metrics only with an admin token; pass --token or set FRAISEQL_ADMIN_TOKEN (a server that generated one stored it in .fraiseql/admin-token)`
            : `${redactUrl(url)} refused the admin token (HTTP ${String(response.status)}); check --token or FRAISEQL_ADMIN_TOKEN`,
        );
      }
      if (!response.ok) throw new Error(`HTTP ${String(response.status)} ${response.statusText}`);
      text = await response.text();
    } catch (cause) {
      if (cause instanceof CliError) throw cause;
      throw new CliError(
        'SERVICE_UNREACHABLE',
        `cannot scrape ${redactUrl(url)}: ${messageOf((cause as { cause?: unknown }).cause ?? cause)}; check that the server runs and serves Prometheus metrics there`,
        { cause },
      );
    }
    const filter = typeof context.values.filter === 'string' ? context.values.filter : undefined;
    const families = parsePrometheusText(text).filter(
      (f) =>
        (context.values.all === true || f.name.startsWith('fraiseql_')) &&
        (filter === undefined || f.name.includes(filter)),
    );
    const rows = families.flatMap(rowsOf);
    print(context, families, () =>
      rows.length === 0
        ? `no matching metrics at ${redactUrl(url)}\n`
        : formatTable(
            ['METRIC', 'TYPE', 'LABELS', 'VALUE', 'MEAN'],
            rows.map((r) => [
              r.metric,
              r.type,
              r.labels,
              formatNumber(r.value),
              r.mean === undefined ? '' : formatNumber(r.mean),
            ]),
          ),
    );
    return 0;
  },
};

function rowsOf(family: MetricFamily): Row[] {
  if (family.type === 'histogram' || family.type === 'summary') {
    const counts = family.samples.filter((s) => s.name === `${family.name}_count`);
    return counts.map((count) => {
      const key = labelText(count.labels);
      const sum = family.samples.find(
        (s) => s.name === `${family.name}_sum` && labelText(s.labels) === key,
      );
      return {
        metric: family.name,
        type: family.type,
        labels: key,
        value: count.value,
        count: count.value,
        ...(sum === undefined || count.value === 0 ? {} : { mean: sum.value / count.value }),
      };
    });
  }
  return family.samples.map((s) => ({
    metric: s.name,
    type: family.type,
    labels: labelText(s.labels),
    value: s.value,
  }));
}

function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
