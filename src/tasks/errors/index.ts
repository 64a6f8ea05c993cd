export * from './bootstrap.errors.js';
export * from './tasks.errors.js';
