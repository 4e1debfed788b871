// Runs extracted examples as separate Node processes, each with the services it asked for:
// a fresh PostgreSQL database, a private Redis and a private NATS server (so the examples may use
// the default key prefixes and stream names), and the ClickHouse server the test kit finds.
import { spawn } from 'node:child_process';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

/** Loads @fraiseql/testing from the built workspace package. */
export async function loadTestingKit(root) {
  return import(pathToFileURL(join(root, 'packages', 'testing', 'dist', 'index.js')).href);
}

async function provide(kit, services) {
  const env = {};
  const closers = [];
  for (const service of services) {
    if (service === 'postgres') {
      const database = await kit.createTestDatabase(await kit.requireService('postgres'));
      env.DATABASE_URL = database.url;
      closers.push(() => database.close());
    } else if (service === 'redis' || service === 'nats') {
      const server = await kit.startService(service);
      env[service === 'redis' ? 'REDIS_URL' : 'NATS_URL'] = server.url;
      closers.push(() => server.close());
    } else if (service === 'clickhouse') {
      const server = await kit.requireService('clickhouse');
      if (server === undefined) throw new Error('no ClickHouse server found');
      env.CLICKHOUSE_URL = server.url;
    }
  }
  return {
    env,
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

function runNode(node, script, { cwd, env, timeoutMs }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(node, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n[doctest] killed after ${String(timeoutMs / 1000)} s: an example must end by itself`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, signal, output, ms: Date.now() - started });
    });
  });
}

/**
 * Runs every runnable example on every Node binary in `nodes`; prints one line per run and
 * the output of failures; resolves to `{ passed, failed, results }`.
 */
export async function runExamples({ kit, examples, nodes, cwd, log }) {
  const results = [];
  for (const node of nodes) {
    const label = await new Promise((resolve) => {
      const child = spawn(node, ['--version']);
      let text = '';
      child.stdout.on('data', (chunk) => (text += chunk));
      child.on('close', () => resolve(text.trim()));
    });
    for (const example of examples.filter((e) => e.kind === 'runnable')) {
      const where = `${example.file}:${String(example.line)}`;
      let services;
      try {
        services = await provide(kit, example.services);
      } catch (error) {
        results.push({ where, node: label, ok: false, output: String(error) });
        log(
          `FAIL ${where} (node ${label}): services ${example.services.join(',')}: ${String(error)}`,
        );
        continue;
      }
      try {
        // Only the services the example asked for: no URL leaks in from the environment.
        const env = Object.fromEntries(
          Object.entries({ ...process.env, ...services.env }).filter(
            ([name]) =>
              !['DATABASE_URL', 'REDIS_URL', 'NATS_URL', 'CLICKHOUSE_URL'].includes(name) ||
              name in services.env,
          ),
        );
        const run = await runNode(node, example.output, { cwd, env, timeoutMs: example.timeoutMs });
        const ok = run.code === 0 && run.signal === null;
        results.push({ where, node: label, ok, output: run.output, ms: run.ms });
        log(`${ok ? 'ok  ' : 'FAIL'} ${where} (node ${label}, ${(run.ms / 1000).toFixed(1)} s)`);
        if (!ok) {
          log(
            run.output
              .trimEnd()
              .split('\n')
              .slice(-40)
              .map((line) => `     | ${line}`)
              .join('\n'),
          );
        }
      } finally {
        await services.close();
      }
    }
  }
  const passed = results.filter((r) => r.ok).length;
  return { passed, failed: results.length - passed, results };
}
