import { z } from 'zod';

/** Schema of the `async` flag of an action or observer: run on a job-queue worker. */
export const asyncFlagSchema = z.boolean().meta({
  description:
    'Run on a job-queue worker instead of inline (needs @fraiseql/job-queue); matching and conditions stay inline.',
});
