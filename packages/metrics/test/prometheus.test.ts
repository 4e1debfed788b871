// Checks the exposition, the alert rules and the dashboard with the real Prometheus tools:
// `promtool check metrics` on /metrics, `promtool check rules` on the alert rules, and every
// PromQL expression of the dashboard and the rules evaluated by a Prometheus that scraped a
// running observers runtime (in OpenMetrics, as Prometheus negotiates it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, freePort, waitFor, type TempDir } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findBinary } from './fixtures/find-binary.js';
import { startMetricsRuntime, type MetricsRuntime } from './fixtures/metrics-runtime.js';

const HINT = 'apt-get install -y prometheus (.ci/run installs it)';
const prometheus = findBinary('prometheus', HINT);
const promtool = findBinary('promtool', HINT);
const monitoring = new URL('../../../docs/monitoring/', import.meta.url);
const rulesFile = new URL('alerts.yml', monitoring).pathname;

interface Dashboard {
  panels: { title: string; targets?: { expr: string }[] }[];
}
interface RuleFile {
  groups: { rules: { alert: string; expr: string }[] }[];
}

const dashboard = JSON.parse(
  readFileSync(new URL('grafana-dashboard.json', monitoring), 'utf8'),
) as Dashboard;
const rules = parse(readFileSync(rulesFile, 'utf8')) as RuleFile;
const expressions = [
  ...dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  ),
  ...rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
  ),
];

/** The metric families an expression reads (histogram sample suffixes removed). */
function familiesOf(expr: string): string[] {
  return [...expr.matchAll(/\bfraiseql_[a-z0-9_]+/g)].map((match) =>
    match[0].replace(/_(bucket|sum|count)$/, ''),
  );
}

describe.skipIf(prometheus === undefined || promtool === undefined)(
  'dashboard, alert rules and /metrics checked by a real Prometheus',
  () => {
    let runtime: MetricsRuntime | undefined;
    let dir: TempDir | undefined;
    let child: ChildProcess | undefined;
    let api = '';
    let exposition = '';

    beforeAll(async () => {
      const app = await startMetricsRuntime();
      runtime = app;
      exposition = await (await fetch(app.server.url)).text();
      const temp = await createTempDir('fraiseql-prometheus');
      dir = temp;
      const target = new URL(app.server.url);
      writeFileSync(
        join(temp.path, 'prometheus.yml'),
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          `rule_files: ['${rulesFile}']`,
          'scrape_configs:',
          '  - job_name: fraiseql',
          `    metrics_path: ${target.pathname}`,
          `    static_configs: [{ targets: ['${target.host}'] }]`,
          '',
        ].join('\n'),
      );
      const port = await freePort();
      api = `http://127.0.0.1:${port}/api/v1`;
      const started = spawn(
        prometheus!,
        [
          `--config.file=${join(temp.path, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(temp.path, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child = started;
      let log = '';
      started.stderr.on('data', (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-4000);
      });
      // Three scrapes, so rate() over the window has points to work with.
      await waitFor(
        async () => {
          if (started.exitCode !== null) throw new Error(`prometheus exited:\n${log}`);
          const value = await query('fraiseql_observer_events_processed_total').catch(() => []);
          const count = await query(
            'count_over_time(fraiseql_observer_events_processed_total[1m])',
          ).catch(() => []);
          return value.length > 0 && Number(count[0]?.value[1] ?? 0) >= 3;
        },
        { timeoutMs: 60_000, intervalMs: 250, message: 'Prometheus scraped the runtime 3 times' },
      );
    });

    afterAll(async () => {
      const running = child;
      if (running?.exitCode === null) {
        const exited = new Promise((resolve) => running.once('exit', resolve));
        running.kill('SIGTERM');
        await exited;
      }
      await dir?.close();
      await runtime?.close();
    });

    interface Sample {
      metric: Record<string, string>;
      value: [number, string];
    }

    async function query(expr: string): Promise<Sample[]> {
      const response = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: Sample[] };
      };
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? response.status}`);
      return body.data?.result ?? [];
    }

    it('promtool check metrics accepts the /metrics output', () => {
      const result = spawnSync(promtool!, ['check', 'metrics'], {
        input: exposition,
        encoding: 'utf8',
      });
      expect(`${result.stdout}${result.stderr}`).toBe('');
      expect(result.status).toBe(0);
    });

    it('promtool check rules accepts the alert rules', () => {
      const result = spawnSync(promtool!, ['check', 'rules', rulesFile], { encoding: 'utf8' });
      expect(result.stdout).toContain('SUCCESS');
      expect(result.status).toBe(0);
    });

    it('promtool test rules: the alerts fire, and stay quiet, on the series they describe', () => {
      const tests = new URL('alerts.test.yml', monitoring).pathname;
      const result = spawnSync(promtool!, ['test', 'rules', tests], { encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
      expect(result.status).toBe(0);
    });

    it('Prometheus scraped the OpenMetrics answer with the test labels', async () => {
      const [up] = await query('up{job="fraiseql"}');
      expect(up?.value[1]).toBe('1');
      const [processed] = await query('fraiseql_observer_events_processed_total');
      expect(processed?.metric.service).toBe('metrics-test');
      expect(processed?.value[1]).toBe('18');
    });

    it('evaluates every dashboard and alert expression without error', async () => {
      expect(expressions.length).toBeGreaterThan(30);
      const failures: string[] = [];
      for (const { where, expr } of expressions) {
        await query(expr).catch((error: unknown) => {
          failures.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
        });
      }
      expect(failures).toEqual([]);
      // The per-action latency panels return real series, not an empty vector.
      const p95 = await query(
        'histogram_quantile(0.95, sum by (action_type, le) (rate(fraiseql_observer_action_duration_seconds_bucket[5m])))',
      );
      expect(p95.map((sample) => sample.metric.action_type).sort()).toEqual([
        'function',
        'webhook',
      ]);
      // Events that failed for good under `onFailure: log` feed the failures panel and alert.
      const panel = dashboard.panels.find((p) => p.title.startsWith('Event failures'));
      const failed = await query(panel?.targets?.[0]?.expr ?? 'absent');
      expect(failed.map((sample) => sample.metric.error_type)).toEqual(['http_4xx']);
      const alert = rules.groups
        .flatMap((group) => group.rules)
        .find((rule) => rule.alert === 'FraiseQLEventsFailing');
      // The alert's ratio without its threshold: a series, not an empty vector.
      const share = await query(alert?.expr.replace(/>\s*[\d.]+\s*$/, '') ?? 'absent');
      expect(share).toHaveLength(1);
    });

    it('reads only metrics that exist, and the dashboard shows every metric', async () => {
      const exposed = new Set(
        (await query('count by (__name__) ({__name__=~"fraiseql_.+"})')).map((sample) =>
          (sample.metric.__name__ ?? '').replace(/_(bucket|sum|count|total)$/, ''),
        ),
      );
      const declared = new Set(
        [...exposition.matchAll(/^# TYPE (fraiseql_\S+)/gm)].map((match) => match[1] ?? ''),
      );
      const read = new Set(expressions.flatMap(({ expr }) => familiesOf(expr)));
      expect([...read].filter((name) => !declared.has(name))).toEqual([]);
      expect([...declared].filter((name) => !read.has(name))).toEqual([]);
      expect(exposed.size).toBeGreaterThan(0);
      // The reference page documents every metric.
      const reference = readFileSync(new URL('metrics.md', monitoring), 'utf8');
      expect([...declared].filter((name) => !reference.includes(`\`${name}\``))).toEqual([]);
    });
  },
);
