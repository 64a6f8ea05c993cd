import { readFile } from 'node:fs/promises';

/** One line of the demo's DEMO_HANDLER_LOG. */
export interface HandlerEvent {
  event: 'start' | 'finish' | 'fail';
  taskId: string;
  attempt: number;
  at: number;
}

export async function readHandlerLog(path: string): Promise<HandlerEvent[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [event, taskId, attempt, at] = line.split(' ');
      return { event: event as HandlerEvent['event'], taskId, attempt: Number(attempt), at: Number(at) };
    });
}
