import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const DIST = new URL('../dist/index.js', import.meta.url).href;

// A child process whose module resolution refuses every `@nats-io/*` package, as for a user
// who did not install the optional peers: the package must load, and only starting the NATS
// transport may fail, with an error that says what to install.
const script = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(
  "export async function resolve(specifier, context, next) {" +
  "  if (specifier.startsWith('@nats-io/')) throw new Error('not installed: ' + specifier);" +
  "  return next(specifier, context);" +
  "}"));
const observers = await import(${JSON.stringify(DIST)});
const source = observers.createNatsSource({ servers: 'nats://127.0.0.1:4222' });
const bridge = observers.createNatsBridge({ source, servers: 'nats://127.0.0.1:4222' });
const outcome = await source.start({ onDelivery: () => undefined }).then(
  () => ({ started: true }),
  (error) => ({ name: error.name, code: error.code, message: error.message }),
);
await bridge.close();
console.log(JSON.stringify(outcome));
`;

describe('NATS transport without the optional @nats-io packages (built dist)', () => {
  it('loads the package, and starting the transport asks for the packages', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const outcome = JSON.parse(stdout.trim()) as { name: string; code: string; message: string };
    expect(outcome.name).toBe('ObserverError');
    expect(outcome.code).toBe('TRANSPORT_UNAVAILABLE');
    expect(outcome.message).toContain('@nats-io/transport-node and @nats-io/jetstream');
  });
});
