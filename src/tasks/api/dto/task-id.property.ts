/** A `task_id` in the API's answers as Swagger shows it: a UUID, with an example of the kind the module makes. */
export const TASK_ID_PROPERTY = { example: '01a23d44-2d05-7000-ba0a-61e1859961ae', format: 'uuid' } as const;

/** What a task id is, said where a task or an enqueue's answer carries it. */
export const TASK_ID_DESCRIPTION = 'A UUID version 7: time-ordered, its first 48 bits the creation time in ms. Also the BullMQ job id.';
