import type { CommittedChange } from '../store/task-state.writer.js';

/** One committed change of one task, as the live event streams carry it. */
export interface TaskEvent {
  /** The Redis stream entry id (`<ms>-<seq>`): the SSE event id, ordered. */
  id: string;
  kind: 'snapshot' | 'status' | 'progress';
  task_id: string;
  task_type: string;
  task_name: string;
  status: string;
  error_type: string | null;
  progress: number | null;
  progress_message: string | null;
  /** When the change was committed (ISO 8601). */
  at: string;
}

/** Which events a subscriber wants. */
export interface TaskEventFilter {
  taskId?: string;
  taskType?: string;
  taskName?: string;
}

/** The fields of a stream entry, in the order {@link changeValues} gives their values. */
export const CHANGE_FIELDS = ['kind', 'task_id', 'task_type', 'task_name', 'status', 'error_type', 'progress', 'progress_message', 'at'] as const;

/** The values of a committed change's stream entry (flat strings, as Redis stores them), in {@link CHANGE_FIELDS} order. */
export function changeValues(change: CommittedChange, at: number): string[] {
  return [
    change.kind,
    change.taskId,
    change.taskType,
    change.taskName,
    change.status,
    change.errorType ?? '',
    change.progress === undefined ? '' : String(change.progress),
    // A lone UTF-16 surrogate becomes U+FFFD, as its UTF-8 bytes would have it: the stream's
    // append script reads its values as JSON, where a lone surrogate's escape is refused.
    (change.progressMessage ?? '').toWellFormed(),
    String(at),
  ];
}

/** A stream entry back as an event. */
export function eventOf(id: string, fields: string[]): TaskEvent {
  const value: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) value[fields[index]] = fields[index + 1];
  return {
    id,
    kind: value.kind === 'progress' ? 'progress' : 'status',
    task_id: value.task_id,
    task_type: value.task_type,
    task_name: value.task_name,
    status: value.status,
    error_type: value.error_type || null,
    progress: value.progress === '' || value.progress === undefined ? null : Number(value.progress),
    progress_message: value.progress_message || null,
    at: new Date(Number(value.at)).toISOString(),
  };
}

export function matches(event: TaskEvent, filter: TaskEventFilter): boolean {
  return (
    (filter.taskId === undefined || event.task_id === filter.taskId) &&
    (filter.taskType === undefined || event.task_type === filter.taskType) &&
    (filter.taskName === undefined || event.task_name === filter.taskName)
  );
}

/** Stream ids in order: true when `a` comes after `b`. */
export function isAfter(a: string, b: string): boolean {
  const [aMs, aSeq] = a.split('-').map(Number);
  const [bMs, bSeq] = b.split('-').map(Number);
  return aMs > bMs || (aMs === bMs && aSeq > bSeq);
}

/** A Last-Event-ID that is a stream id, or undefined. */
export function parseEventId(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{1,15}-\d{1,10}$/.test(value) ? value : undefined;
}
