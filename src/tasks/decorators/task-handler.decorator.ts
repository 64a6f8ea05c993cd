import { SetMetadata } from '@nestjs/common';
import { TASK_HANDLER_METADATA } from '../tasks.constants.js';

/** What `@TaskHandler` records on a method. */
export interface TaskHandlerMetadata {
  taskName: string;
}

/**
 * Marks a method of a `@TaskProcessor` class as the handler of `taskName`
 * (e.g. `afirgen_tasks.email.send_confirmation`). It is called as `(params, context)`.
 */
export const TaskHandler = (taskName: string): MethodDecorator =>
  SetMetadata(TASK_HANDLER_METADATA, { taskName } satisfies TaskHandlerMetadata);
