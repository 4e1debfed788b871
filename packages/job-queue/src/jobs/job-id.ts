import { JobQueueError } from '../errors.js';

/**
 * The id of the job that runs action `actionIndex` of `observer` for event `eventId`:
 * `{eventId}:{observer}:{actionIndex}`. Adding a job whose id exists is a no-op, which makes
 * enqueue idempotent. BullMQ refuses `:` in custom ids except in exactly this three-part form,
 * so neither part may contain `:` (event ids are UUIDs and observer names cannot).
 *
 * @throws {JobQueueError} `INVALID_ARGUMENT` when a part is empty or contains `:`.
 */
export function jobIdOf(eventId: string, observer: string, actionIndex: number): string {
  if (eventId === '' || eventId.includes(':')) {
    throw new JobQueueError(
      'INVALID_ARGUMENT',
      `jobIdOf: invalid event id ${JSON.stringify(eventId)}`,
    );
  }
  if (observer === '' || observer.includes(':')) {
    throw new JobQueueError(
      'INVALID_ARGUMENT',
      `jobIdOf: invalid observer name ${JSON.stringify(observer)}`,
    );
  }
  if (!Number.isInteger(actionIndex) || actionIndex < 0) {
    throw new JobQueueError(
      'INVALID_ARGUMENT',
      `jobIdOf: invalid action index ${String(actionIndex)}`,
    );
  }
  return `${eventId}:${observer}:${String(actionIndex)}`;
}
