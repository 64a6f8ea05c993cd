/** The public API of TasksModule. */
export * from './api/dto/index.js';
export { TasksController } from './api/tasks.controller.js';
export * from './background-task.entity.js';
export * from './background-task.subscriber.js';
export * from './decorators/index.js';
export * from './task-context.js';
export * from './task-status.js';
export * from './tasks.constants.js';
export * from './tasks.errors.js';
export * from './tasks.module.js';
export { TASKS_ROLE, type TasksModuleExtras, type TasksRole } from './tasks.module-definition.js';
export * from './tasks.options.js';
export { TasksService } from './tasks.service.js';
export * from './tasks.types.js';
