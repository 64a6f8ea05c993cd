import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TASK_ID_PROPERTY } from './task-id.property.js';

/** Response of `POST /:task_id/retry`. */
export class RetryTaskResponseDto {
  @ApiProperty(TASK_ID_PROPERTY)
  task_id!: string;

  @ApiProperty({ example: true })
  success!: boolean;

  @ApiProperty({ example: 'Task queued again for a new round of attempts' })
  message!: string;
}

/** Response of `DELETE /:task_id`, also the body of its 409. */
export class DeleteTaskResponseDto {
  @ApiProperty(TASK_ID_PROPERTY)
  task_id!: string;

  @ApiProperty({ example: true })
  success!: boolean;

  @ApiProperty({ example: 'Task deleted' })
  message!: string;
}

/** Response of `POST /:task_id/cancel`, also the body of its 409. */
export class CancelTaskResponseDto {
  @ApiProperty(TASK_ID_PROPERTY)
  task_id!: string;

  @ApiProperty({ example: true })
  success!: boolean;

  @ApiProperty({ example: 'Task cancelled successfully' })
  message!: string;

  @ApiPropertyOptional({ example: true, description: 'On success: a worker (in any process) was running the task and its handler was signalled.' })
  running_handler_signalled?: boolean;

  @ApiPropertyOptional({
    example: true,
    description: 'On success: no handler of the task runs any more (it was not running, or it stopped within cancelWaitMs). False for a handler that ignores its signal (its late result will be dropped), and for one signalled after Redis had lost its job or handed it back to the queue when its worker stalled (nothing there tells when it stops).',
  })
  handler_stopped?: boolean;
}
