import type { BackgroundTask } from './background-task.entity.js';

/** Where a newest-first page ends: the last row's creation time and id. */
export interface TaskCursor {
  createdAt: Date;
  id: number;
}

/** An opaque, URL-safe cursor for the row after which the next page starts. */
export function encodeTaskCursor(task: Pick<BackgroundTask, 'createdAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([task.createdAt.getTime(), task.id])).toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this module made. */
export function decodeTaskCursor(cursor: string): TaskCursor | undefined {
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
