// The source → sink consumer is shared by every sink and lives in core; this package keeps
// exporting it under the same names.
export {
  createEventSinkConsumer,
  type EventSinkConsumer,
  type EventSinkConsumerOptions,
  type EventSinkConsumerStats,
} from '@fraiseql/core';
