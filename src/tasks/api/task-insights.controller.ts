import { Get, Headers, HttpCode, HttpStatus, Param, Query, Sse, UseFilters, UseGuards, UsePipes, ValidationPipe, type MessageEvent } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Observable, map, of } from 'rxjs';
import { parseEventId, type TaskEvent } from '../events/task-event.js';
import { isFinalStatus } from '../lifecycle/task-status.js';
import { eventOfRow, followTask } from '../events/task-follower.js';
import { TasksService } from '../tasks.service.js';
import { WatchedRows } from '../store/watched-rows.js';
import { ErrorResponseDto, TaskEventsQueryDto, TaskStatsQueryDto, TaskStatsResponseDto, WorkersQueryDto, WorkersResponseDto } from './dto/index.js';
import { parseWindow, statsResponse } from './task-stats.response.js';
import { RequestHygieneGuard } from './request-hygiene.guard.js';
import { TaskIdPipe } from './task-id.pipe.js';
import { TasksExceptionFilter } from './tasks-exception.filter.js';

/** A comment line every 15 s keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
const LAST_EVENT_ID = {
  name: 'last-event-id',
  required: false,
  description: 'The id of the last event received: the stream resumes after it (browsers send it when they reconnect).',
};

/**
 * Stats, workers and live events, beside the tasks controller under the same prefix (mounted
 * before it, so `stats`, `workers` and `events` are not taken for task ids).
 */
@ApiTags('tasks')
@UseFilters(TasksExceptionFilter)
@UseGuards(RequestHygieneGuard)
@UsePipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }))
export class TaskInsightsController {
  constructor(
    private readonly tasks: TasksService,
    private readonly watched: WatchedRows,
  ) {}

  @Get('stats')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Outcomes, success rates, durations, throughput and queue depth over a time window',
    description: 'Read from a per-minute/per-hour summary and the exact counts, never from the task table: fast at any table size.',
  })
  @ApiOkResponse({ type: TaskStatsResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiServiceUnavailableResponse({ description: 'MySQL or Redis is unavailable.', type: ErrorResponseDto })
  async stats(@Query() query: TaskStatsQueryDto): Promise<TaskStatsResponseDto> {
    const report = await this.tasks.getTaskStats({ taskType: query.task_type, taskName: query.task_name, windowMs: parseWindow(query.window) });
    return statsResponse(report);
  }

  @Get('workers')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'The workers serving each queue now, over every process',
    description: "From Redis's list of clients, where BullMQ names each worker's connection after its queue. A queue with jobs waiting and no worker is not being worked.",
  })
  @ApiOkResponse({ type: WorkersResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiServiceUnavailableResponse({ description: 'Redis is unavailable.', type: ErrorResponseDto })
  async workers(@Query() query: WorkersQueryDto): Promise<WorkersResponseDto> {
    const queues = await this.tasks.getWorkers(query.task_type);
    return {
      queues: queues.map(({ queue, taskType, workers }) => ({
        queue,
        task_type: taskType,
        worker_count: workers?.length ?? null,
        workers: workers?.map((worker) => ({ address: worker.address, connected_seconds: worker.connectedSeconds })) ?? null,
      })),
    };
  }

  @Sse('events')
  @ApiOperation({
    summary: 'Live events of all tasks (Server-Sent Events)',
    description: 'One `status` or `progress` event per committed change in any process, as JSON in `data`; filter by type or name.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader(LAST_EVENT_ID)
  @ApiBadRequestResponse({ description: 'A task type no queue carries and no task has, or an empty task name.', type: ErrorResponseDto })
  async allEvents(@Query() query: TaskEventsQueryDto, @Headers('last-event-id') lastEventId?: string): Promise<Observable<MessageEvent>> {
    // Checked before the stream opens, so that a typo'd type is a 400 rather than an error event.
    await this.tasks.checkTaskFilter({ taskType: query.task_type, taskName: query.task_name });
    const after = parseEventId(lastEventId) ?? (await this.tasks.latestTaskEventId());
    return withHeartbeat(this.tasks.taskEvents({ taskType: query.task_type, taskName: query.task_name }, after).pipe(map(toMessage)));
  }

  @Sse(':task_id/events')
  @ApiOperation({
    summary: "Live events of one task (Server-Sent Events), until it reaches a final state",
    description: "A `snapshot` event with the task's state now, then one event per committed change; the stream ends after the final status. A change the live stream missed (its process died before telling it) is told from the row within 5-10 s.",
  })
  @ApiProduces('text/event-stream')
  @ApiParam({ name: 'task_id', description: 'The task UUID returned by enqueue.' })
  @ApiHeader(LAST_EVENT_ID)
  @ApiNotFoundResponse({ description: 'No task has this id.', type: ErrorResponseDto })
  async taskEvents(@Param('task_id', TaskIdPipe) taskId: string, @Headers('last-event-id') lastEventId?: string): Promise<Observable<MessageEvent>> {
    // The position first, then the row: a change committed in between is in the stream too.
    const after = parseEventId(lastEventId) ?? (await this.tasks.latestTaskEventId());
    const task = await this.tasks.getTaskStatus(taskId);
    const snapshot = eventOfRow(task, after, 'snapshot', new Date());
    if (isFinalStatus(task.status)) return of(toMessage(snapshot));
    const events = followTask(snapshot, this.tasks.taskEvents({ taskId }, after), this.watched.watch(task.taskId));
    return withHeartbeat(events.pipe(map(toMessage)));
  }
}

function toMessage(event: TaskEvent): MessageEvent {
  return { id: event.id, type: event.kind, data: event };
}

/** The source's messages, with a heartbeat event while it stays quiet; completes with it. */
function withHeartbeat(source: Observable<MessageEvent>): Observable<MessageEvent> {
  return new Observable<MessageEvent>((observer) => {
    const timer = setInterval(() => observer.next({ type: 'heartbeat', data: {} }), HEARTBEAT_MS);
    const subscription = source.subscribe(observer);
    return () => {
      clearInterval(timer);
      subscription.unsubscribe();
    };
  });
}
