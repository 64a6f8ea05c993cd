import { parseDuration } from '../durations.js';
import type { TasksService } from '../tasks.service.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import type { TaskErrorType } from '../failures/task-error-type.js';
import { printJson, printRecord, printTable, type Row } from './cli-format.js';

/** What a command gets: its positional arguments, its flags, and the app's TasksService. */
export interface CommandInput {
  args: string[];
  flags: Record<string, string | boolean | undefined>;
  tasks: TasksService;
}

/** `30d`, `12h`, `15m`, `90s` in ms, or a usage error naming the flag. */
function durationFlag(value: string, flag: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`${flag} must be a duration such as 90s, 15m, 12h or 30d, got "${value}"`);
  return ms;
}

/** A mistake in the command line (exit code 2). */
export class UsageError extends Error {}

const json = (input: CommandInput) => input.flags.json === true;
const text = (input: CommandInput, flag: string) => (typeof input.flags[flag] === 'string' ? (input.flags[flag] as string) : undefined);

function taskId(input: CommandInput): string {
  if (input.args.length !== 1) throw new UsageError('give one task id');
  return input.args[0];
}

/** The commands that run against an application context in the `api` role. */
export const SERVICE_COMMANDS: Record<string, (input: CommandInput) => Promise<void>> = {
  async status(input) {
    const wait = text(input, 'wait');
    const task = await input.tasks.getTaskStatus(taskId(input), wait === undefined ? undefined : { timeoutMs: durationFlag(wait, '--wait') });
    if (json(input)) return printJson(task);
    printRecord(task as unknown as Row);
  },

  async list(input) {
    const limit = text(input, 'limit');
    const page = await input.tasks.listTasks({
      status: text(input, 'status') as TaskStatus | undefined,
      taskType: text(input, 'type'),
      errorType: text(input, 'error-type') as never,
      limit: limit === undefined ? 20 : Number(limit),
      cursor: text(input, 'cursor'),
    });
    if (json(input)) return printJson(page);
    printTable(page.tasks.map((task) => ({ ...task, attempts: `${task.retryCount}/${task.maxRetries}` }) as unknown as Row), ['taskId', 'taskName', 'status', 'taskType', 'priority', 'attempts', 'createdAt']);
    console.log(`${page.tasks.length} of ${page.totalCount}${page.nextCursor ? `; next page: --cursor ${page.nextCursor}` : ''}`);
  },

  async stats(input) {
    const window = text(input, 'window');
    const report = await input.tasks.getTaskStats({ taskType: text(input, 'type'), taskName: text(input, 'name'), windowMs: window === undefined ? undefined : durationFlag(window, '--window') });
    if (json(input)) return printJson(report);
    const rows = report.tasks.map((task) => ({
      ...task,
      success: task.successRate === null ? null : `${(task.successRate * 100).toFixed(1)}%`,
      p50: task.durationMs?.p50,
      p95: task.durationMs?.p95,
      p99: task.durationMs?.p99,
    }));
    console.log(`Finished from ${report.from.toISOString()} to ${report.to.toISOString()} (by ${report.resolution}):`);
    printTable(rows as unknown as Row[], ['taskName', 'taskType', 'completed', 'failed', 'cancelled', 'success', 'p50', 'p95', 'p99', 'perMinute']);
    console.log('\nNow:');
    printTable(report.types.map((type) => ({ taskType: type.taskType, ...type.current })), ['taskType', ...Object.values(TaskStatus)]);
    console.log('\nQueues:');
    printTable(report.queues as unknown as Row[], ['queue', 'taskType', 'waiting', 'prioritized', 'delayed', 'active', 'workers']);
  },

  async workers(input) {
    const queues = await input.tasks.getWorkers(text(input, 'type'));
    if (json(input)) return printJson(queues);
    const rows = queues.map(({ queue, taskType, workers }) => ({
      queue,
      taskType,
      // Null: this Redis refuses to list its clients.
      workers: workers?.length ?? 'unknown',
      addresses: workers?.map((worker) => worker.address).join(', '),
    }));
    printTable(rows, ['queue', 'taskType', 'workers', 'addresses']);
  },

  async cancel(input) {
    const outcome = await input.tasks.cancelTask(taskId(input));
    if (json(input)) return printJson(outcome);
    console.log(`Cancelled ${outcome.taskId}${outcome.runningHandlerSignalled ? (outcome.handlerStopped ? '; its running handler stopped' : '; its running handler was signalled but had not stopped yet') : ''}`);
  },

  async retry(input) {
    const type = text(input, 'type');
    if (type && input.args.length === 0) return retryFailed(input, type);
    const task = await input.tasks.retryTask(taskId(input));
    if (json(input)) return printJson(task);
    console.log(`Retrying ${task.taskId} (${task.taskName})`);
  },

  async delete(input) {
    const id = taskId(input);
    await input.tasks.deleteTask(id);
    if (json(input)) return printJson({ taskId: id, deleted: true });
    console.log(`Deleted ${id}`);
  },

  async purge(input) {
    const [olderThan, type] = [text(input, 'older-than'), text(input, 'type')];
    if (Boolean(olderThan) === Boolean(type)) throw new UsageError('purge needs --older-than (e.g. 30d) or --type (e.g. email), not both');
    if (type) return purgeWaiting(input, type, text(input, 'name'));
    const deleted = await input.tasks.purgeFinishedTasks(durationFlag(olderThan!, '--older-than'));
    if (json(input)) return printJson({ deleted });
    console.log(`Deleted ${deleted} finished task(s) older than ${olderThan}`);
  },

  async schedules(input) {
    const schedules = await input.tasks.getSchedules();
    if (json(input)) return printJson(schedules);
    printTable(schedules.map((schedule) => ({ ...schedule, when: schedule.cron ? `${schedule.cron} ${schedule.tz ?? 'UTC'}` : `every ${schedule.everyMs} ms` })) as unknown as Row[], ['name', 'taskName', 'when', 'nextRunAt']);
  },
};

/** `retry --type T [--error-type E] [--name N]`: every failed task of the type (class, name) retried. */
async function retryFailed(input: CommandInput, type: string): Promise<void> {
  const [errorType, name] = [text(input, 'error-type'), text(input, 'name')];
  const outcome = await input.tasks.retryFailedTasks(type, { errorType: errorType as TaskErrorType | undefined, taskName: name });
  if (json(input)) return printJson(outcome);
  console.log(`Retrying ${outcome.retried} failed ${name ?? type} task(s); left ${outcome.skipped} (a retry refused them, or they were retried meanwhile)`);
}

/** `purge --type T [--name N]`: Celery's purge, every waiting task of the type cancelled. */
async function purgeWaiting(input: CommandInput, type: string, name: string | undefined): Promise<void> {
  const outcome = await input.tasks.cancelWaitingTasks(type, name);
  if (json(input)) return printJson(outcome);
  console.log(`Cancelled ${outcome.cancelled} waiting ${name ?? type} task(s); left ${outcome.skipped} (workflow steps, or finished meanwhile)`);
}
