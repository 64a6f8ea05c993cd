import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { TaskHandlerMetadata } from './decorators/task-handler.decorator.js';
import type { TaskProcessorMetadata } from './decorators/task-processor.decorator.js';
import { TASK_HANDLER_METADATA, TASK_PROCESSOR_METADATA } from './tasks.constants.js';

/** Reads what `@TaskProcessor` and `@TaskHandler` recorded. */
@Injectable()
export class TasksMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getProcessorMetadata(target: Type | Function): TaskProcessorMetadata | undefined {
    return this.reflector.get<TaskProcessorMetadata | undefined>(TASK_PROCESSOR_METADATA, target);
  }

  getHandlerMetadata(method: Function): TaskHandlerMetadata | undefined {
    return this.reflector.get<TaskHandlerMetadata | undefined>(TASK_HANDLER_METADATA, method);
  }
}
