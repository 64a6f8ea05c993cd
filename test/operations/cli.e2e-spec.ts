import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DEMO_QUEUES, DemoModule } from '../../src/demo/demo.module.js';
import { dropDatabase, ensureDatabase } from '../../src/config/ensure-database.js';
import { TaskNotFoundError, TaskStatus } from '../../src/tasks/index.js';
import { createTestApp, MYSQL_SERVER_URL, REDIS_URL, waitFor, waitForFinalRow, type TestApp } from '../support/test-app.js';

/** The CLI as built (`npm test` builds first), against the demo application's compiled module. */
const CLI = 'dist/src/tasks/cli/main.js';
const APP = 'dist/src/app.module.js';

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, NODE_OPTIONS: '', NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The walk below starts about twenty CLI processes one after another, each booting the app: 36 s
 * alone on a quiet machine; this file took 61-91 s in full `npm test` runs (beside another
 * suite), and the walk once went past jest's 60 s. A harness limit, not a speed claim.
 */
const CLI_WALK_TIMEOUT_MS = 180_000;

describe('the tasks-module CLI', () => {
  let t: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    // This process enqueues (API role); the CLI's processes read, act and run workers.
    t = await createTestApp({ suite: 'cli', modules: [DemoModule], role: 'api', tasks: { queues: DEMO_QUEUES } });
    env = { DATABASE_URL: t.databaseUrl, REDIS_URL, TASKS_QUEUE_PREFIX: t.queuePrefix, DEMO_OUTPUT_DIR: t.outputDir, TASKS_APP_MODULE: APP };
  });
  afterAll(() => t?.close());

  it('migrates a database with TasksModule\'s migrations, then has nothing left to run', async () => {
    const url = `${MYSQL_SERVER_URL}/tasks_test_cli_migrate_${randomBytes(3).toString('hex')}`;
    await ensureDatabase(url);
    try {
      const first = await cli(['migrate'], { DATABASE_URL: url });
      expect(first).toMatchObject({ code: 0 });
      expect(first.stdout).toContain('Ran CreateBackgroundTasks1763800000000');
      expect(first.stdout).toContain('Ran TaskStats1764600000000');
      expect(JSON.parse((await cli(['migrate', '--json'], { DATABASE_URL: url })).stdout)).toEqual({ migrations: [] });
    } finally {
      await dropDatabase(url);
    }
  });

  it('runs workers of the chosen queues only, lists them per queue, and shows, lists, counts, cancels, retries, deletes and purges tasks, finished and waiting', async () => {
    const sleepTask = await t.tasks.enqueue({ taskName: 'demo.sleep', params: { ms: 50 } });
    const emailTask = await t.tasks.enqueue({ taskName: 'afirgen_tasks.email.send_confirmation', params: { fir_id: 'f1', recipient_email: 'a@example.com' } });
    const child = spawn(process.execPath, [CLI, 'worker', '--queues', 'demo'], { env: { ...process.env, ...env, NODE_OPTIONS: '' }, stdio: 'ignore' });
    try {
      expect((await waitForFinalRow(t.tasks, sleepTask.taskId)).status).toBe(TaskStatus.Completed);
      // The e-mail queue has no worker: the task waits.
      expect((await t.tasks.getTaskStatus(emailTask.taskId)).status).toBe(TaskStatus.Pending);

      const status = await cli(['status', sleepTask.taskId], env);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/^status\s+completed$/m);
      expect(status.stdout).toMatch(/^retry_count\s+0$/m);
      expect(JSON.parse((await cli(['status', sleepTask.taskId, '--json'], env)).stdout)).toMatchObject({ taskId: sleepTask.taskId, status: 'completed' });

      const list = await cli(['list', '--status', 'pending'], env);
      expect(list.stdout).toMatch(/^TASK ID\s+TASK NAME\s+STATUS/m);
      expect(list.stdout).toContain(emailTask.taskId);
      expect(list.stdout).not.toContain(sleepTask.taskId);
      const listed = JSON.parse((await cli(['list', '--type', 'demo', '--json'], env)).stdout) as { tasks: { taskId: string }[]; totalCount: number };
      expect(listed.tasks.map((task) => task.taskId)).toEqual([sleepTask.taskId]);

      const stats = JSON.parse((await cli(['stats', '--window', '1h', '--json'], env)).stdout) as { totals: { completed: number }; queues: { queue: string; waiting: number; prioritized: number }[] };
      expect(stats.totals.completed).toBe(1);
      const email = stats.queues.find((queue) => queue.queue === 'email')!;
      expect(email.waiting + email.prioritized).toBe(1);
      expect((await cli(['stats'], env)).stdout).toMatch(/demo\.sleep\s+demo\s+1\s+0\s+0\s+100\.0%/);

      expect((await cli(['cancel', emailTask.taskId], env)).stdout).toContain(`Cancelled ${emailTask.taskId}`);
      expect((await t.tasks.getTaskStatus(emailTask.taskId)).status).toBe(TaskStatus.Cancelled);
      expect((await cli(['retry', emailTask.taskId], env)).stdout).toContain(`Retrying ${emailTask.taskId}`);
      expect((await t.tasks.getTaskStatus(emailTask.taskId)).status).toBe(TaskStatus.Pending);

      // The worker child serves `demo` alone; this process and the CLI's own are `api`.
      const workers = (await cli(['workers'], env)).stdout;
      expect(workers).toMatch(/^QUEUE\s+TASK TYPE\s+WORKERS\s+ADDRESSES$/m);
      expect(workers).toMatch(/^demo\s+demo\s+1\s+127\.0\.0\.1:\d+$/m);
      expect(workers).toMatch(/^email\s+email\s+0$/m);
      const [demo] = JSON.parse((await cli(['workers', '--type', 'demo', '--json'], env)).stdout) as { queue: string; workers: unknown[] }[];
      expect({ queue: demo.queue, workers: demo.workers.length }).toEqual({ queue: 'demo', workers: 1 });
      expect((await cli(['stats'], env)).stdout).toMatch(/^email\s+email\s+\d+\s+\d+\s+\d+\s+\d+\s+0$/m);

      const schedules = JSON.parse((await cli(['schedules', '--json'], env)).stdout) as { name: string }[];
      expect(schedules.map((schedule) => schedule.name)).toContain('task-stats');

      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await cli(['purge', '--older-than', '1s'], env)).stdout).toBe('Deleted 1 finished task(s) older than 1s\n');
      await waitFor(async () => (await t.tasks.getTaskCount({ status: TaskStatus.Completed })) === 0, 'the purge');

      // --wait: the row once final (a worker of another process runs it), or as it is when the wait runs out.
      const slowTask = await t.tasks.enqueue({ taskName: 'demo.sleep', params: { ms: 1500 } });
      expect(JSON.parse((await cli(['status', slowTask.taskId, '--wait', '60s', '--json'], env)).stdout)).toMatchObject({ taskId: slowTask.taskId, status: 'completed' });
      const waited = await cli(['status', emailTask.taskId, '--wait', '1s'], env);
      expect(waited.code).toBe(0);
      expect(waited.stdout).toMatch(/status\s+pending/);

      // delete: a finished task goes; a waiting one is refused (exit 1, the reason on stderr).
      expect((await cli(['delete', slowTask.taskId], env)).stdout).toBe(`Deleted ${slowTask.taskId}\n`);
      await expect(t.tasks.getTaskStatus(slowTask.taskId)).rejects.toBeInstanceOf(TaskNotFoundError);
      const refused = await cli(['delete', emailTask.taskId], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Task is pending; only a completed, failed or cancelled task can be deleted (cancel it first)');

      // purge --type: Celery's purge, the e-mail tasks still waiting (no worker serves them) cancelled.
      const another = await t.tasks.enqueue({ taskName: 'afirgen_tasks.email.send_confirmation', params: { fir_id: 'f2', recipient_email: 'b@example.com' } });
      expect((await cli(['purge', '--type', 'email'], env)).stdout).toBe('Cancelled 2 waiting email task(s); left 0 (workflow steps, or finished meanwhile)\n');
      for (const taskId of [emailTask.taskId, another.taskId]) expect((await t.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Cancelled);
      expect(JSON.parse((await cli(['purge', '--type', 'email', '--json'], env)).stdout)).toEqual({ cancelled: 0, skipped: 0 });
      // retry --type: every failed task of the type (none failed here).
      expect((await cli(['retry', '--type', 'demo', '--error-type', 'network'], env)).stdout).toBe('Retrying 0 failed demo task(s); left 0 (a retry refused them, or they were retried meanwhile)\n');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, CLI_WALK_TIMEOUT_MS);

  it('says what is wrong: exit 1 for a refused request, 2 for a usage mistake', async () => {
    const unknown = await cli(['status', '00000000-0000-4000-8000-000000000000'], env);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('Task 00000000-0000-4000-8000-000000000000 not found');
    const bad = await cli(['list', '--status', 'done'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('status must be one of');
    for (const args of [['frobnicate'], ['purge'], ['purge', '--older-than', 'soon'], ['purge', '--older-than', '1d', '--type', 'email'], ['list', '--nope'], ['status'], ['status', '00000000-0000-4000-8000-000000000000', '--wait', 'soon']]) {
      const usage = await cli(args, env);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('Usage: tasks-module <command>');
    }
    const noApp = await cli(['list'], { ...env, TASKS_APP_MODULE: '' });
    expect(noApp.code).toBe(2);
    expect(noApp.stderr).toContain('--app <file> or TASKS_APP_MODULE');
  });
});
