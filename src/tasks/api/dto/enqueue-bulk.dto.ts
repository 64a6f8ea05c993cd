import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';
import { MAX_BULK_ENQUEUE } from '../../tasks.constants.js';
import { EnqueueTaskDto } from './enqueue-task.dto.js';
import { ErrorResponseDto } from './error-response.dto.js';
import { TASK_ID_PROPERTY } from './task-id.property.js';

/** Body of `POST /enqueue/bulk`. */
export class EnqueueBulkDto {
  @ApiProperty({
    type: [EnqueueTaskDto],
    minItems: 1,
    maxItems: MAX_BULK_ENQUEUE,
    description: `1 to ${MAX_BULK_ENQUEUE} enqueue requests, each validated on its own (a bad one does not stop the others).`,
  })
  // Checked bottom up, and only a field's first problem is told (ShallowBodyPipe): a body whose
  // tasks are no list is told that, not also that it holds too many.
  @ArrayMaxSize(MAX_BULK_ENQUEUE)
  @ArrayMinSize(1, { message: 'tasks must contain at least 1 task' })
  @IsArray()
  tasks!: unknown[];
}

/** One item's outcome: its task id, or its error. */
export class EnqueueBulkItemDto {
  @ApiProperty({ example: 0, description: 'Position of the item in `tasks`.' })
  index!: number;

  @ApiPropertyOptional({ ...TASK_ID_PROPERTY, description: 'Set when the task was enqueued.' })
  task_id?: string;

  @ApiPropertyOptional({ example: 'Task enqueued successfully with priority 5' })
  message?: string;

  @ApiPropertyOptional({ example: true, description: 'Set with task_id: false when the idempotency_key named an existing task.' })
  created?: boolean;

  @ApiPropertyOptional({ type: ErrorResponseDto, description: 'Set when the item was refused: 400 (invalid) or 503 (MySQL or Redis down).' })
  error?: ErrorResponseDto;
}

/** Response of `POST /enqueue/bulk`. */
export class EnqueueBulkResponseDto {
  @ApiProperty({ type: [EnqueueBulkItemDto] })
  results!: EnqueueBulkItemDto[];

  @ApiProperty({ example: 2, description: 'Items enqueued.' })
  accepted!: number;

  @ApiProperty({ example: 1, description: 'Items refused.' })
  rejected!: number;
}
