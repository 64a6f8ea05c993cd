// A worker process of the compiled demo whose completions never reach MySQL: SIGKILLed as soon as
// BullMQ has a job completed, while the completion it writes behind is still unwritten.
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

process.env.TASKS_ROLE = 'worker';
const { AppModule } = await import(pathToFileURL(resolve('dist/src/app.module.js')).href);
const { NestFactory } = await import('@nestjs/core');
const { QueueEvents } = await import('bullmq');
const { Redis } = await import('ioredis');
// The same module file the package entry loads, so the same class (an internal one: tests only).
const { TaskStateWriter } = await import(pathToFileURL(resolve('dist/src/tasks/store/task-state.writer.js')).href);

// Every completion write waits forever: none commits before the kill.
TaskStateWriter.prototype.complete = () => new Promise(() => {});
const events = new QueueEvents('demo', { connection: new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null }), prefix: process.env.TASKS_QUEUE_PREFIX });
await events.waitUntilReady();
events.on('completed', ({ jobId }) => {
  writeSync(1, `COMPLETED ${jobId}\n`);
  process.kill(process.pid, 'SIGKILL');
});
await NestFactory.createApplicationContext(AppModule, { logger: false });
writeSync(1, 'READY\n');
