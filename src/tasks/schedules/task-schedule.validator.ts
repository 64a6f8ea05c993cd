import { CronExpressionParser } from 'cron-parser';
import type { TaskScheduleOptions } from '../interfaces/tasks-module-options.interface.js';

const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * What is wrong with a configured `expiresInSeconds` (a schedule's runs, a handler's default), or
 * undefined: as an enqueue's, it must be above 0 and within `maxDelaySeconds`.
 */
export function expiresInSecondsProblem(seconds: unknown, maxDelaySeconds: number): string | undefined {
  if (seconds === undefined || (typeof seconds === 'number' && seconds > 0 && seconds <= maxDelaySeconds)) return undefined;
  return `expiresInSeconds must be a number greater than 0 and at most maxDelaySeconds (${maxDelaySeconds})`;
}

/** What is wrong with a schedule, for a bootstrap error (`maxDelaySeconds` bounds its expiry, as it bounds an enqueue's). */
export function scheduleProblems(schedule: TaskScheduleOptions, where: string, maxDelaySeconds: number): string[] {
  const problems: string[] = [];
  if (!NAME.test(schedule.name ?? '')) problems.push(`${where}.name must be 1-100 characters of A-Z a-z 0-9 . _ -`);
  if (typeof schedule.taskName !== 'string' || schedule.taskName === '') problems.push(`${where}.taskName is required`);
  const hasCron = typeof schedule.cron === 'string' && schedule.cron.trim() !== '';
  const hasEvery = schedule.everyMs !== undefined;
  if (hasCron === hasEvery) problems.push(`${where} needs exactly one of cron and everyMs`);
  if (hasCron && ![5, 6].includes(schedule.cron!.trim().split(/\s+/).length)) problems.push(`${where}.cron must have 5 or 6 fields`);
  else if (hasCron) problems.push(...cronProblems(schedule.cron!, schedule.tz, where));
  if (hasEvery && !(Number.isInteger(schedule.everyMs) && schedule.everyMs! >= 1000)) problems.push(`${where}.everyMs must be an integer >= 1000`);
  if (schedule.tz !== undefined && !isTimeZone(schedule.tz)) problems.push(`${where}.tz "${schedule.tz}" is not an IANA time zone`);
  if (schedule.priority !== undefined && !(Number.isInteger(schedule.priority) && schedule.priority >= 1 && schedule.priority <= 10)) {
    problems.push(`${where}.priority must be an integer 1..10`);
  }
  const expiry = expiresInSecondsProblem(schedule.expiresInSeconds, maxDelaySeconds);
  if (expiry) problems.push(`${where}.${expiry}`);
  if (schedule.overlap !== undefined && typeof schedule.overlap !== 'boolean') problems.push(`${where}.overlap must be true or false`);
  return problems;
}

/**
 * A pattern BullMQ's own parser (cron-parser, the version BullMQ depends on) refuses, or that
 * never fires: found at bootstrap instead of inside a worker later.
 */
function cronProblems(cron: string, tz: string | undefined, where: string): string[] {
  if (tz !== undefined && !isTimeZone(tz)) return [];
  try {
    CronExpressionParser.parse(cron, { tz: tz ?? 'UTC' }).next();
    return [];
  } catch (error) {
    return [`${where}.cron "${cron}" is not a valid cron pattern: ${(error as Error).message}`];
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
