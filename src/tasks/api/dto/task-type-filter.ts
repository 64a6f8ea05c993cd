/** What a `task_type` filter takes, wherever one is (tasks, counts, stats, workers, events); anything else is a 400. */
export const TASK_TYPE_FILTER = 'A task type of the configured queues, `workflow`, or a type no queue carries any more that still has tasks (a retired queue).';
