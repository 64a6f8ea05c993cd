import { Controller, UseGuards, type CanActivate, type Type } from '@nestjs/common';
import { TasksController } from './tasks.controller.js';

/**
 * The tasks controller mounted at `prefix`, behind the host's `guards`. Each call makes a subclass, so two applications
 * in one process (tests, say) can mount the API under different prefixes.
 */
export function createTasksController(prefix: string, guards: Array<Type<CanActivate> | CanActivate> = []): Type<TasksController> {
  class PrefixedTasksController extends TasksController {}
  if (guards.length > 0) UseGuards(...guards)(PrefixedTasksController);
  // Keep the public name in logs and Swagger operation ids (`TasksController_enqueue`).
  Object.defineProperty(PrefixedTasksController, 'name', { value: TasksController.name });
  Controller(prefix)(PrefixedTasksController);
  return PrefixedTasksController;
}
