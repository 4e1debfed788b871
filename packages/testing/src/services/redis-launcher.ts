import { TestingError } from '../errors.js';
import { findBinary } from './find-binary.js';
import type { LaunchPlanner } from './launch-plan.js';

/** A throwaway `redis-server` on 127.0.0.1 with persistence off. */
export const planRedis: LaunchPlanner = async (dir, port) => {
  const command = await findBinary('redis-server');
  if (command === undefined) {
    throw new TestingError('SERVICE_START_FAILED', 'redis: redis-server is not installed');
  }
  return {
    kind: 'redis',
    command,
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    url: `redis://127.0.0.1:${port}`,
    stopSignal: 'SIGTERM',
  };
};
