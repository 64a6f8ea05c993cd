import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsInt, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString } from 'class-validator';
import type { EnqueueTaskInput } from '../../interfaces/tasks-service.interfaces.js';
import { MAX_PRIORITY, MAX_RETRIES_LIMIT, MAX_TIMEOUT_SECONDS, MIN_PRIORITY } from '../../tasks.constants.js';
import { TASK_ID_DESCRIPTION, TASK_ID_PROPERTY } from './task-id.property.js';

/**
 * Body of `POST /enqueue`. Its validators check the JSON's shape (types, required fields,
 * unknown fields); the rules about values (ranges, lengths, registered names) are the
 * service's own (commands/task-request.validator.ts), so HTTP clients and callers of
 * TasksService get the same answers. The Swagger bounds below document those rules.
 */
export class EnqueueTaskDto {
  @ApiProperty({
    description: 'Name a @TaskHandler registers.',
    example: 'orders.send_confirmation',
    maxLength: 255,
  })
  @IsString()
  @IsNotEmpty()
  task_name!: string;

  @ApiPropertyOptional({
    description: "Type of the handler's queue; inferred from task_name when omitted, rejected when it differs.",
    example: 'email',
    maxLength: 100,
  })
  @IsOptional()
  @IsString()
  task_type?: string;

  @ApiPropertyOptional({
    description: 'JSON object handed to the handler (default {}); at most 64 KiB of JSON by default (module option maxParamsBytes).',
    example: { order_id: 'ord_12345', recipient_email: 'user@example.com' },
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject({ message: 'params must be a JSON object' })
  params?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: "1 (lowest) to 10 (highest); equal priorities run in FIFO order. Default: the handler's `priority`, else the queue's.",
    example: 5,
    minimum: MIN_PRIORITY,
    maximum: MAX_PRIORITY,
  })
  @IsOptional()
  @IsInt()
  priority?: number;

  @ApiPropertyOptional({
    description: `Retries after the first attempt, with exponential backoff (0 to ${MAX_RETRIES_LIMIT}; default: the handler's \`maxRetries\`, else the module's, 3).`,
    example: 3,
    minimum: 0,
    maximum: MAX_RETRIES_LIMIT,
  })
  @IsOptional()
  @IsInt()
  max_retries?: number;

  @ApiPropertyOptional({
    description: 'Start no sooner than this many seconds from now (at most the module option maxDelaySeconds, 30 days by default). Not with run_at.',
    example: 60,
    minimum: 0,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  delay_seconds?: number;

  @ApiPropertyOptional({
    description: 'Start no sooner than this time (ISO 8601 with a time). At most 10 s in the past (it then runs at once). Not with delay_seconds.',
    // No example: any fixed time ends up in the past (or too far ahead), and run_at excludes delay_seconds.
    format: 'date-time',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'run_at must be an ISO 8601 date-time, e.g. 2030-01-15T10:30:00Z' })
  run_at?: string;

  @ApiPropertyOptional({
    description: `Time limit of each attempt in seconds (over the handler's own). At the limit the handler's AbortSignal fires; an attempt still running shortly after fails with error_type timeout and is retried by the policy.`,
    example: 30,
    minimum: 1,
    maximum: MAX_TIMEOUT_SECONDS,
  })
  @IsOptional()
  @IsInt()
  timeout_seconds?: number;

  @ApiPropertyOptional({
    description:
      'Not started within this many seconds from now, the task is not started at all: a worker that picks it up later (a retry too) cancels it with error_message "expired: not started by …". ' +
      'Must end after the task is due; at most maxDelaySeconds. An attempt already running is not stopped (timeout_seconds is). Not with expires_at. Default: the handler\'s expiresInSeconds, counted from when the task is due.',
    example: 3600,
    exclusiveMinimum: true,
    minimum: 0,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  expires_in_seconds?: number;

  @ApiPropertyOptional({
    description: 'Or not started by this time (ISO 8601 with a time), the task is not started at all. In the future and after the task is due. Not with expires_in_seconds.',
    // No example: any fixed time ends up in the past.
    format: 'date-time',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expires_at must be an ISO 8601 date-time, e.g. 2030-01-15T10:30:00Z' })
  expires_at?: string;

  @ApiPropertyOptional({
    description:
      'At most one task per key: a second enqueue with a key already used returns the existing task (200 instead of 201), also after it finished, for as long as its row is kept (retention).',
    example: 'order-1234-confirmation',
    minLength: 1,
    maxLength: 255,
  })
  @IsOptional()
  @IsString()
  idempotency_key?: string;

  @ApiPropertyOptional({
    description:
      'At most one unfinished task per key: while a task with this key is pending or running, an enqueue with it returns that task (200 instead of 201); once it finished, the key makes a new task. With an idempotency_key too, either one finding its task returns it.',
    // No example: which keys make sense is the application's.
    minLength: 1,
    maxLength: 255,
  })
  @IsOptional()
  @IsString()
  singleton_key?: string;

  /** The service's input for this body. */
  static toInput(dto: EnqueueTaskDto): EnqueueTaskInput {
    return {
      taskName: dto.task_name,
      taskType: dto.task_type,
      params: dto.params,
      priority: dto.priority,
      maxRetries: dto.max_retries,
      delaySeconds: dto.delay_seconds,
      runAt: dto.run_at,
      timeoutSeconds: dto.timeout_seconds,
      idempotencyKey: dto.idempotency_key,
      singletonKey: dto.singleton_key,
      expiresInSeconds: dto.expires_in_seconds,
      expiresAt: dto.expires_at,
    };
  }
}

/** Response of `POST /enqueue`. */
export class EnqueueTaskResponseDto {
  @ApiProperty({ ...TASK_ID_PROPERTY, description: TASK_ID_DESCRIPTION })
  task_id!: string;

  @ApiProperty({ example: 'Task enqueued successfully with priority 5' })
  message!: string;

  @ApiProperty({ example: true, description: 'False when the idempotency_key named an existing task, which is returned instead (status 200).' })
  created!: boolean;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null, description: 'When a delayed task is due; null for at once.' })
  run_at!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null, description: 'When the task expires if not started by then; null for never.' })
  expires_at!: string | null;
}
