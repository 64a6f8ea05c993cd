import type { BackgroundTask } from './background-task.entity.js';

/** Where a newest-first page ends: the last row's creation time and id. */
export interface TaskCursor {
  createdAt: Date;
  id: number;
}

/** Longest cursor accepted. */
export const MAX_CURSOR_LENGTH = 200;

/**
 * An opaque, URL-safe cursor for the row after which the next page starts (`listTasks({ cursor })`
 * then reads the tasks created before it, newest first).
 */
export function encodeTaskCursor(task: Pick<BackgroundTask, 'createdAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([task.createdAt.getTime(), task.id])).toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this module made. */
export function decodeTaskCursor(cursor: string): TaskCursor | undefined {
  // A cursor this module made is about 30 characters; anything far longer is not one.
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 2) return undefined;
    const [time, id] = decoded as unknown[];
    if (!Number.isSafeInteger(time) || !Number.isSafeInteger(id) || (id as number) < 1) return undefined;
    return { createdAt: new Date(time as number), id: id as number };
  } catch {
    return undefined;
  }
}
