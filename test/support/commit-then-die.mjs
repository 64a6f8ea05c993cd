// A process that enqueues a task in its own transaction and is SIGKILLed right after the
// COMMIT, before TasksModule adds the job: what a crash between the two leaves behind.
// Runs the compiled demo (`npm run build`) with DATABASE_URL, REDIS_URL and TASKS_QUEUE_PREFIX.
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

process.env.TASKS_ROLE = 'api';
const { AppModule } = await import(pathToFileURL(resolve('dist/src/app.module.js')).href);
const { NestFactory } = await import('@nestjs/core');
const { TasksService } = await import('tasks-module');
const { DataSource } = await import('typeorm');

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const tasks = app.get(TasksService);
const dataSource = app.get(DataSource);
// First in line after the commit: the module's own after-commit work never runs.
dataSource.subscribers.unshift({ afterTransactionCommit: () => process.kill(process.pid, 'SIGKILL') });
await dataSource.transaction(async (manager) => {
  const { taskId } = await tasks.enqueue({ taskName: 'demo.sleep', params: { ms: 10 } }, { manager });
  // Synchronous: a SIGKILL does not wait for stdout's buffer.
  writeSync(1, `TASK ${taskId}\n`);
});
writeSync(1, 'NOT KILLED\n');
process.exit(1);
