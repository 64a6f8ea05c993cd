export * from './task-context.interface.js';
export * from './tasks-module-options.interface.js';
export * from './tasks-service.interfaces.js';
export * from './workflow.interfaces.js';
