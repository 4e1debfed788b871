import { expect, it } from 'vitest';

// Imports the built package through its own exports map (a self-reference by name), as a user
// would. Run `pnpm exec tsc -b` first.
it('@fraiseql/job-queue loads from dist through its exports map', async () => {
  const jobQueue = await import('@fraiseql/job-queue');
  expect(import.meta.resolve('@fraiseql/job-queue')).toMatch(
    /\/packages\/job-queue\/dist\/index\.js$/,
  );
  expect(jobQueue.jobIdOf('e', 'o', 1)).toBe('e:o:1');
  expect(jobQueue.isJobQueueError(new jobQueue.JobQueueError('CLOSED', 'x'), 'CLOSED')).toBe(true);
  expect(jobQueue.parseJobQueueConfig({}).defaultQueue).toBe('default');
  expect(typeof jobQueue.createJobWorker).toBe('function');
  expect(typeof jobQueue.createJobQueueAdmin).toBe('function');
});
