export * from './task-handler.decorator.js';
export * from './task-processor.decorator.js';
