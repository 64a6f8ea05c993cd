// A worker process of the compiled demo that is SIGKILLed right after a batch that completed a
// workflow step (and released the next one) committed, before the next step's job is added.
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

process.env.TASKS_ROLE = 'worker';
const { AppModule } = await import(pathToFileURL(resolve('dist/src/app.module.js')).href);
const { NestFactory } = await import('@nestjs/core');
// The same module file the package entry loads, so the same class (an internal one: tests only).
const { TaskStateWriter } = await import(pathToFileURL(resolve('dist/src/tasks/store/task-state.writer.js')).href);

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
// Runs right after the module's own listener has started adding the jobs, before any of its
// Redis commands can leave (they wait for a promise): the jobs are never added.
app.get(TaskStateWriter).onDispatch((steps) => {
  writeSync(1, `RELEASED ${steps.map((step) => step.taskId).join(',')}\n`);
  process.kill(process.pid, 'SIGKILL');
});
writeSync(1, 'READY\n');
