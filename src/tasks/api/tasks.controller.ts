import { Body, Delete, ForbiddenException, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res, UseFilters, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiPayloadTooLargeResponse,
  ApiUnsupportedMediaTypeResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { withConflictBody } from './conflict-body.js';
import { TaskHandlerRegistry } from '../task-handler.registry.js';
import { TasksService } from '../tasks.service.js';
import { BULK_ITEM_PROBLEMS, RequestHygieneGuard, type BulkRequest } from './request-hygiene.guard.js';
import { TaskIdPipe } from './task-id.pipe.js';
import { ShallowBodyPipe, type ShallowBody } from './shallow-body.pipe.js';
import { parseWaitSeconds, taskView, waitedTask, type ClosableResponse } from './task-read.js';
import { TasksExceptionFilter } from './tasks-exception.filter.js';
import { bulkResponse, enqueuedMessage, validateBulkItem } from './bulk-item.validator.js';
import {
  CancelTaskResponseDto,
  DeleteTaskResponseDto,
  EnqueueBulkDto,
  EnqueueBulkResponseDto,
  EnqueueTaskDto,
  EnqueueTaskResponseDto,
  ErrorResponseDto,
  GetTaskQueryDto,
  ListTasksQueryDto,
  RetryTaskResponseDto,
  TaskScheduleListResponseDto,
  TaskScheduleResponseDto,
  TaskCountResponseDto,
  TaskFilterQueryDto,
  TaskListResponseDto,
  TaskResponseDto,
} from './dto/index.js';

/** The enqueue route's operation; the explorer appends the params schemas of the registered tasks. */
export const ENQUEUE_OPERATION = {
  summary: 'Enqueue a background task',
  description:
    'Records the task as pending, then queues it. 201 with a new task; 200 with the existing task when idempotency_key was used before.',
};

/** What the enqueue route needs of the HTTP response (Express and Fastify both have it). */
interface StatusSettable {
  status(code: number): unknown;
}

/** No example: no fixed id names a task that exists. */
const TASK_ID_PARAM = { name: 'task_id', description: 'The task UUID returned by enqueue.' };

/**
 * The REST API: enqueue, read, list, count, cancel, retry, schedules. Its route prefix is set by
 * {@link createTasksController}. Validation is the controller's own, so the routes behave the
 * same whatever global pipes the host app installs.
 */
@ApiTags('tasks')
@UseGuards(RequestHygieneGuard)
@UseFilters(TasksExceptionFilter)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
@ApiBadRequestResponse({ description: 'Invalid body or query; `message` lists every problem.', type: ErrorResponseDto })
@ApiServiceUnavailableResponse({ description: 'MySQL or Redis is unavailable; nothing was changed.', type: ErrorResponseDto })
@ApiUnsupportedMediaTypeResponse({ description: 'A POST whose body is not application/json.', type: ErrorResponseDto })
@ApiPayloadTooLargeResponse({ description: 'A body over the route\'s limit (100 KB; 5 MB for bulk).', type: ErrorResponseDto })
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly registry: TaskHandlerRegistry,
  ) {}

  /** An `@TaskHandler(name, { enqueue: 'internal' })` task is not enqueued over HTTP (403). */
  private assertEnqueueableOverHttp(taskName: string): void {
    if (this.isInternal(taskName)) throw new ForbiddenException(internalMessage(taskName));
  }

  private isInternal(taskName: string): boolean {
    return this.registry.find(taskName)?.enqueue === 'internal';
  }

  @Post('enqueue')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation(ENQUEUE_OPERATION)
  @ApiCreatedResponse({ type: EnqueueTaskResponseDto, description: 'A new task.' })
  @ApiOkResponse({ type: EnqueueTaskResponseDto, description: 'The idempotency_key named an existing task, or the singleton_key one still pending or running; it is returned and nothing is created.' })
  @ApiForbiddenResponse({ description: 'The task is internal: only the application enqueues it.', type: ErrorResponseDto })
  async enqueue(@Body() body: EnqueueTaskDto, @Res({ passthrough: true }) response: StatusSettable): Promise<EnqueueTaskResponseDto> {
    this.assertEnqueueableOverHttp(body.task_name);
    const task = await this.tasks.enqueue(EnqueueTaskDto.toInput(body));
    if (!task.created) response.status(HttpStatus.OK);
    return {
      task_id: task.taskId,
      message: enqueuedMessage(task, { idempotencyKey: body.idempotency_key, singletonKey: body.singleton_key }),
      created: task.created,
      run_at: task.runAt?.toISOString() ?? null,
      expires_at: task.expiresAt?.toISOString() ?? null,
    };
  }

  @Post('enqueue/bulk')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Enqueue up to 1000 tasks in one call',
    description:
      'Each item is validated like POST /enqueue and enqueued on its own; the response lists every item\'s task_id or error, ' +
      'in order. 200 even when some items were refused; 400 only when the body itself is wrong.',
  })
  @ApiOkResponse({ type: EnqueueBulkResponseDto })
  @ApiBody({ type: EnqueueBulkDto })
  async enqueueBulk(@Body(new ShallowBodyPipe(EnqueueBulkDto)) body: ShallowBody<EnqueueBulkDto>, @Req() request: BulkRequest): Promise<EnqueueBulkResponseDto> {
    // What the guard found in each item as sent (the item's DTO copy drops keys like __proto__).
    const unstorable = request[BULK_ITEM_PROBLEMS] ?? [];
    const checked = await Promise.all(body.tasks.map(async (item, index) => {
      if (unstorable[index]?.length) return { problems: unstorable[index] };
      const result = await validateBulkItem(item);
      return 'input' in result && this.isInternal(result.input.taskName) ? { problems: [internalMessage(result.input.taskName)], status: 403 } : result;
    }));
    const valid = checked.flatMap((item, index) => ('input' in item ? [{ index, input: item.input }] : []));
    const outcomes = valid.length > 0 ? await this.tasks.enqueueMany(valid.map((item) => item.input)) : [];
    return bulkResponse(checked, valid.map(({ index }, position) => ({ index, outcome: outcomes[position] })));
  }

  @Get('count/all')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Count tasks matching the filters' })
  @ApiOkResponse({ type: TaskCountResponseDto })
  async count(@Query() query: TaskFilterQueryDto): Promise<TaskCountResponseDto> {
    const count = await this.tasks.getTaskCount({ status: query.status, taskType: query.task_type, errorType: query.error_type, workflowId: query.workflow_id });
    return { count, status: query.status ?? null, task_type: query.task_type ?? null, error_type: query.error_type ?? null };
  }

  @Get()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'List tasks, newest first, with filters and pagination' })
  @ApiOkResponse({ type: TaskListResponseDto })
  async list(@Query() query: ListTasksQueryDto): Promise<TaskListResponseDto> {
    const page = await this.tasks.listTasks({
      status: query.status,
      taskType: query.task_type,
      errorType: query.error_type,
      workflowId: query.workflow_id,
      limit: query.limit,
      offset: query.offset,
      cursor: query.cursor,
    });
    return {
      tasks: page.tasks.map((task) => TaskResponseDto.from(task)),
      total_count: page.totalCount,
      limit: page.limit,
      offset: page.offset,
      next_cursor: page.nextCursor,
    };
  }

  @Get('schedules')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'List the periodic tasks and when each runs next' })
  @ApiOkResponse({ type: TaskScheduleListResponseDto })
  async schedules(): Promise<TaskScheduleListResponseDto> {
    return { schedules: (await this.tasks.getSchedules()).map((schedule) => TaskScheduleResponseDto.from(schedule)) };
  }

  @Get(':task_id')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Get the status of one task', description: 'With `wait_seconds`, a long poll: the answer comes once the task is final, or when the wait runs out.' })
  @ApiParam(TASK_ID_PARAM)
  @ApiOkResponse({ type: TaskResponseDto })
  @ApiNotFoundResponse({ description: 'No task has this id.', type: ErrorResponseDto })
  async get(@Param('task_id', TaskIdPipe) taskId: string, @Query() query: GetTaskQueryDto, @Res({ passthrough: true }) response: ClosableResponse): Promise<TaskResponseDto> {
    const task = await waitedTask(this.tasks, taskId, parseWaitSeconds(query.wait_seconds), response);
    return taskView(this.tasks, task);
  }

  @Post(':task_id/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Cancel a pending or running task',
    description:
      'A pending task never starts; a running handler receives an AbortSignal. The row ends cancelled either way.',
  })
  @ApiParam(TASK_ID_PARAM)
  @ApiOkResponse({ type: CancelTaskResponseDto })
  @ApiNotFoundResponse({ description: 'No task has this id.', type: ErrorResponseDto })
  @ApiConflictResponse({
    description: 'The task already finished (completed, failed or cancelled); `success` is false.',
    type: CancelTaskResponseDto,
  })
  async cancel(@Param('task_id', TaskIdPipe) taskId: string): Promise<CancelTaskResponseDto> {
    const outcome = await withConflictBody(taskId, () => this.tasks.cancelTask(taskId));
    return {
      task_id: taskId,
      success: true,
      message: 'Task cancelled successfully',
      running_handler_signalled: outcome.runningHandlerSignalled,
      handler_stopped: outcome.handlerStopped,
    };
  }

  @Post(':task_id/retry')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Retry a failed or cancelled task',
    description:
      'Puts the task back to pending for a new round of attempts under the same task_id: retry_count 0; result, started_at, completed_at, progress, run_at and expires_at cleared; ' +
      'created_at, params, max_retries and the last error_message/error_type kept until an attempt of the new round ends.',
  })
  @ApiParam(TASK_ID_PARAM)
  @ApiOkResponse({ type: RetryTaskResponseDto })
  @ApiNotFoundResponse({ description: 'No task has this id.', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The task is pending, running or completed (or its last attempt still runs); `success` is false.', type: RetryTaskResponseDto })
  async retry(@Param('task_id', TaskIdPipe) taskId: string): Promise<RetryTaskResponseDto> {
    await withConflictBody(taskId, () => this.tasks.retryTask(taskId));
    return { task_id: taskId, success: true, message: 'Task queued again for a new round of attempts' };
  }

  @Delete(':task_id')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Delete a finished task (a workflow whole, by its id)', description: "Erases the row and what it carried (params, result) before retention would: a user's request to erase their data, say. Never an unfinished task, nor a step of a workflow." })
  @ApiParam(TASK_ID_PARAM)
  @ApiOkResponse({ type: DeleteTaskResponseDto })
  @ApiNotFoundResponse({ description: 'No task has this id.', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The task is pending or running, is a step of a workflow, or is a workflow with an unfinished task; `success` is false.', type: DeleteTaskResponseDto })
  async delete(@Param('task_id', TaskIdPipe) taskId: string): Promise<DeleteTaskResponseDto> {
    await withConflictBody(taskId, () => this.tasks.deleteTask(taskId));
    return { task_id: taskId, success: true, message: 'Task deleted' };
  }
}

function internalMessage(taskName: string): string {
  return `task_name "${taskName}" can only be enqueued by the application, not over HTTP`;
}
