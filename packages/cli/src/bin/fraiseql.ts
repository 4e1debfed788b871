#!/usr/bin/env node
import { run } from '../run.js';

const controller = new AbortController();
const stop = (): void => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort(new Error('interrupted'));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

process.exitCode = await run(process.argv.slice(2), { signal: controller.signal });
