import type { TaskScheduleOptions } from '../interfaces/tasks-module-options.interface.js';

const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** What is wrong with a schedule, for a bootstrap error. */
export function scheduleProblems(schedule: TaskScheduleOptions, where: string): string[] {
  const problems: string[] = [];
  if (!NAME.test(schedule.name ?? '')) problems.push(`${where}.name must be 1-100 characters of A-Z a-z 0-9 . _ -`);
  if (typeof schedule.taskName !== 'string' || schedule.taskName === '') problems.push(`${where}.taskName is required`);
  const hasCron = typeof schedule.cron === 'string' && schedule.cron.trim() !== '';
  const hasEvery = schedule.everyMs !== undefined;
  if (hasCron === hasEvery) problems.push(`${where} needs exactly one of cron and everyMs`);
  if (hasCron && ![5, 6].includes(schedule.cron!.trim().split(/\s+/).length)) problems.push(`${where}.cron must have 5 or 6 fields`);
  if (hasEvery && !(Number.isInteger(schedule.everyMs) && schedule.everyMs! >= 1000)) problems.push(`${where}.everyMs must be an integer >= 1000`);
  if (schedule.tz !== undefined && !isTimeZone(schedule.tz)) problems.push(`${where}.tz "${schedule.tz}" is not an IANA time zone`);
  if (schedule.priority !== undefined && !(Number.isInteger(schedule.priority) && schedule.priority >= 1 && schedule.priority <= 10)) {
    problems.push(`${where}.priority must be an integer 1..10`);
  }
  return problems;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
