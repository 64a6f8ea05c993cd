import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { TASK_PROCESSOR_METADATA } from '../tasks.constants.js';

/** What `@TaskProcessor` records on a class. */
export interface TaskProcessorMetadata {
  queue: string;
}

/**
 * Marks a provider whose `@TaskHandler` methods run the tasks of `queue`.
 * The class is an ordinary injectable provider: list it in a module's `providers`.
 */
export function TaskProcessor(queue: string): ClassDecorator {
  return applyDecorators(Injectable(), SetMetadata(TASK_PROCESSOR_METADATA, { queue } satisfies TaskProcessorMetadata));
}
