/** Metadata key set by `@TaskProcessor(queue)` on a provider class. */
export const TASK_PROCESSOR_METADATA = 'tasks:processor_metadata';

/** Metadata key set by `@TaskHandler(name)` on a method. */
export const TASK_HANDLER_METADATA = 'tasks:handler_metadata';

/** Highest `max_retries` accepted on enqueue (26 attempts with exponential backoff is days). */
export const MAX_RETRIES_LIMIT = 25;

/** API priorities: 1 is least important, 10 most. */
export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 10;

/** Page size of a list call: default and largest accepted. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
/**
 * Deepest `offset` of a list call; deeper pages are read with the cursor. MySQL walks every
 * skipped row: on a 1M-row table `offset=1000000` held a MariaDB thread 5.1 s, and four such
 * requests at once took both cores for 7.4 s (Elasticsearch stops at 10,000 for the same reason).
 */
export const MAX_LIST_OFFSET = 10_000;

/** Most tasks one `enqueueMany` call (or `POST /enqueue/bulk`) accepts. */
export const MAX_BULK_ENQUEUE = 1000;

/** Longest time limit of one attempt (`timeout_seconds`): a day. */
export const MAX_TIMEOUT_SECONDS = 86_400;

/** How far in the past a `run_at` may lie (client clocks differ a little); such a task runs at once. */
export const RUN_AT_PAST_TOLERANCE_MS = 10_000;
