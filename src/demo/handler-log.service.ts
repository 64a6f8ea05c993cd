import { appendFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { TaskContext } from 'tasks-module';

/** What a demo handler did, as one line of the log. */
export type HandlerEvent = 'start' | 'finish' | 'fail';

/**
 * An optional log of what the demo handlers actually ran (`DEMO_HANDLER_LOG`), so that an
 * outside observer (the fault suite) can compare executions with the rows. Each line is
 * written with one append, so lines from several processes never interleave, and it
 * outlives a SIGKILL of the process.
 */
@Injectable()
export class HandlerLogService {
  private readonly path?: string;

  constructor(config: ConfigService) {
    this.path = config.get<string>('DEMO_HANDLER_LOG') || undefined;
  }

  record(event: HandlerEvent, context: TaskContext): void {
    if (this.path) appendFileSync(this.path, `${event} ${context.taskId} ${context.attempt} ${Date.now()}\n`);
  }
}
