import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_PRIORITY, MAX_RETRIES_LIMIT, MIN_PRIORITY } from '../../tasks.constants.js';

/** Body of `POST /enqueue`. */
export class EnqueueTaskDto {
  @ApiProperty({
    description: 'Name a @TaskHandler registers.',
    example: 'afirgen_tasks.email.send_confirmation',
    maxLength: 255,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  task_name!: string;

  @ApiPropertyOptional({
    description: "Type of the handler's queue; inferred from task_name when omitted, rejected when it differs.",
    example: 'email',
    maxLength: 100,
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  task_type?: string;

  @ApiPropertyOptional({
    description: 'JSON object handed to the handler (default {}); at most 64 KiB of JSON by default (module option maxParamsBytes).',
    example: { fir_id: 'fir_12345', recipient_email: 'user@example.com' },
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject({ message: 'params must be a JSON object' })
  params?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: "1 (lowest) to 10 (highest); equal priorities run in FIFO order. Default: the queue's priority.",
    example: 5,
    minimum: MIN_PRIORITY,
    maximum: MAX_PRIORITY,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_PRIORITY)
  @Max(MAX_PRIORITY)
  priority?: number;

  @ApiPropertyOptional({
    description: `Retries after the first attempt, with exponential backoff (0 to ${MAX_RETRIES_LIMIT}; default 3).`,
    example: 3,
    minimum: 0,
    maximum: MAX_RETRIES_LIMIT,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_RETRIES_LIMIT)
  max_retries?: number;
}

/** Response of `POST /enqueue`. */
export class EnqueueTaskResponseDto {
  @ApiProperty({ example: '3f0c1d9e-8a4b-4c1e-9f0a-2b7d6e5c4a31', format: 'uuid' })
  task_id!: string;

  @ApiProperty({ example: 'Task enqueued successfully with priority 5' })
  message!: string;
}
