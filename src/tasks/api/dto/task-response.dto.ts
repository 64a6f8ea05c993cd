import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { BackgroundTask } from '../../store/background-task.entity.js';
import { TaskErrorType } from '../../failures/task-error-type.js';
import { TaskStatus } from '../../lifecycle/task-status.js';
import { TASK_ID_DESCRIPTION, TASK_ID_PROPERTY } from './task-id.property.js';

/** One step or member of a workflow, as its parent's `steps` list it. */
export class WorkflowStepDto {
  @ApiProperty() task_id!: string;
  @ApiProperty({ example: 'orders.send_confirmation' }) task_name!: string;
  @ApiProperty({ example: 0 }) position!: number;
  @ApiProperty({ enum: TaskStatus, enumName: 'TaskStatus' }) status!: TaskStatus;
  @ApiProperty() blocked!: boolean;
  @ApiProperty({ type: String, nullable: true }) error_message!: string | null;
}

/** One task as the API shows it (`GET /:task_id` and the items of `GET /`). */
export class TaskResponseDto {
  @ApiProperty({ ...TASK_ID_PROPERTY, description: TASK_ID_DESCRIPTION })
  task_id!: string;

  @ApiProperty({ example: 'orders.send_confirmation' })
  task_name!: string;

  @ApiProperty({ example: 'email' })
  task_type!: string;

  @ApiProperty({ example: 5, minimum: 1, maximum: 10 })
  priority!: number;

  @ApiProperty({ enum: TaskStatus, enumName: 'TaskStatus', example: TaskStatus.Completed })
  status!: TaskStatus;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { order_id: 'ord_12345', recipient_email: 'user@example.com' },
  })
  params!: Record<string, unknown> | null;

  @ApiProperty({
    description: "The handler's return value (any JSON), once completed.",
    nullable: true,
    example: { status: 'success', message: 'Email sent successfully' },
  })
  result!: unknown;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Error of the last failed attempt.' })
  error_message!: string | null;

  @ApiProperty({ example: 0, description: 'Failed attempts that were retried.' })
  retry_count!: number;

  @ApiProperty({ example: 3 })
  max_retries!: number;

  @ApiProperty({ example: '2024-01-15T10:30:00.000Z', format: 'date-time' })
  created_at!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    example: '2024-01-15T10:30:05.000Z',
    description: 'When the latest attempt started.',
  })
  started_at!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: '2024-01-15T10:30:10.000Z' })
  completed_at!: string | null;

  @ApiProperty({ type: Number, nullable: true, minimum: 0, maximum: 100, example: 40, description: 'Latest progress the running attempt reported (100 once completed).' })
  progress!: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'rendering page 4 of 10' })
  progress_message!: string | null;

  @ApiProperty({ enum: TaskErrorType, enumName: 'TaskErrorType', nullable: true, example: null, description: 'Class of the last failure.' })
  error_type!: TaskErrorType | null;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    example: null,
    description: 'When the task is due: a delayed task, or the next attempt after a failure; null for at once.',
  })
  run_at!: string | null;

  @ApiProperty({ type: Number, nullable: true, example: null, description: "The enqueue's time limit per attempt (null: the handler's, if any)." })
  timeout_seconds!: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    example: null,
    description: 'Not started by then, the task is cancelled as expired (error_message says so); null for never. A retry clears it.',
  })
  expires_at!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  idempotency_key!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'The singleton key the task was enqueued with: until it finishes, an enqueue with this key returns it (a retry that reopens it does not take the key back).',
  })
  singleton_key!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'The workflow this task is a step or member of (its id); null outside workflows and for a workflow itself.' })
  workflow_id!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'The chain or group that holds this step.' })
  parent_id!: string | null;

  @ApiProperty({ type: Number, nullable: true, example: null, description: 'Place in its chain or group (0 first).' })
  position!: number | null;

  @ApiProperty({ example: false, description: 'A workflow step still waiting for its predecessors.' })
  blocked!: boolean;

  @ApiProperty({ nullable: true, example: null, description: "What a workflow step received: the previous step's result, or a group's results in order." })
  input!: unknown;

  @ApiPropertyOptional({ type: () => [WorkflowStepDto], description: 'Workflows (and their inner chains and groups): the steps or members, in order.' })
  steps?: WorkflowStepDto[];

  @ApiPropertyOptional({ type: () => WorkflowStepDto, description: "A workflow with an error callback: that task (`on_failure`), released if the workflow fails." })
  on_failure?: WorkflowStepDto;

  @ApiPropertyOptional({ description: "Workflows: the workflow's tasks (not its inner chains and groups) by status.", example: { pending: 1, running: 1, completed: 2, failed: 0, cancelled: 0 } })
  summary?: Record<string, number>;

  static from(task: BackgroundTask): TaskResponseDto {
    return {
      task_id: task.taskId,
      task_name: task.taskName,
      task_type: task.taskType,
      priority: task.priority,
      status: task.status,
      params: task.params,
      result: task.result ?? null,
      error_message: task.errorMessage,
      retry_count: task.retryCount,
      max_retries: task.maxRetries,
      created_at: task.createdAt.toISOString(),
      started_at: task.startedAt?.toISOString() ?? null,
      completed_at: task.completedAt?.toISOString() ?? null,
      progress: task.progress,
      progress_message: task.progressMessage,
      error_type: task.errorType,
      run_at: task.runAt?.toISOString() ?? null,
      timeout_seconds: task.timeoutSeconds,
      expires_at: task.expiresAt?.toISOString() ?? null,
      idempotency_key: task.idempotencyKey,
      singleton_key: task.singletonKey ?? null,
      workflow_id: task.workflowId ?? null,
      parent_id: task.parentId ?? null,
      position: task.position ?? null,
      blocked: Boolean(task.blocked),
      input: task.input ?? null,
    };
  }
}

/** Response of `GET /`. */
export class TaskListResponseDto {
  @ApiProperty({ type: [TaskResponseDto] })
  tasks!: TaskResponseDto[];

  @ApiProperty({ example: 150, description: 'Tasks matching the filters, over all pages.' })
  total_count!: number;

  @ApiProperty({ example: 100 })
  limit!: number;

  @ApiProperty({ example: 0 })
  offset!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'WzE3MDUzMTQ2MDAwMDAsNDJd',
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  next_cursor!: string | null;
}

/** Response of `GET /count/all`. */
export class TaskCountResponseDto {
  @ApiProperty({ example: 42 })
  count!: number;

  @ApiProperty({ enum: TaskStatus, enumName: 'TaskStatus', nullable: true, example: TaskStatus.Pending })
  status!: TaskStatus | null;

  @ApiProperty({ type: String, nullable: true, example: 'email' })
  task_type!: string | null;

  @ApiProperty({ enum: TaskErrorType, enumName: 'TaskErrorType', nullable: true, example: null })
  error_type!: TaskErrorType | null;
}
