import { TestingError } from '../errors.js';
import { findBinary } from './find-binary.js';
import type { LaunchPlanner } from './launch-plan.js';

/** A throwaway `nats-server` with JetStream, storing in the temp dir. */
export const planNats: LaunchPlanner = async (dir, port) => {
  const command = await findBinary('nats-server');
  if (command === undefined) {
    throw new TestingError('SERVICE_START_FAILED', 'nats: nats-server is not installed');
  }
  return {
    kind: 'nats',
    command,
    args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
    url: `nats://127.0.0.1:${port}`,
    stopSignal: 'SIGTERM',
  };
};
