export * from './enqueue-task.dto.js';
export * from './error-response.dto.js';
export * from './task-filter.dto.js';
export * from './task-response.dto.js';
export * from './task-action-response.dto.js';
export * from './enqueue-bulk.dto.js';
export * from './task-stats.dto.js';
export * from './workflow.dto.js';
