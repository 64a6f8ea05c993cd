import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_LIST_LIMIT } from '../../tasks.constants.js';
import { TaskErrorType } from '../../failures/task-error-type.js';
import { TaskStatus } from '../../lifecycle/task-status.js';

/** Query of `GET /count/all`: optional filters. */
export class TaskFilterQueryDto {
  @ApiPropertyOptional({ enum: TaskStatus, enumName: 'TaskStatus', example: TaskStatus.Pending })
  @IsOptional()
  @IsEnum(TaskStatus, { message: `status must be one of: ${Object.values(TaskStatus).join(', ')}` })
  status?: TaskStatus;

  @ApiPropertyOptional({
    description: 'A configured task type (default: email, report, analytics, cleanup).',
    example: 'email',
  })
  @IsOptional()
  @IsString()
  task_type?: string;

  @ApiPropertyOptional({ enum: TaskErrorType, enumName: 'TaskErrorType', description: 'Class of the last failure.', example: TaskErrorType.Timeout })
  @IsOptional()
  @IsEnum(TaskErrorType, { message: `error_type must be one of: ${Object.values(TaskErrorType).join(', ')}` })
  error_type?: TaskErrorType;
}

/** Query of `GET /`: filters and a page. */
export class ListTasksQueryDto extends TaskFilterQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_LIST_LIMIT, default: 100, example: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIST_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0, example: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({
    description:
      'Keyset pagination: the `next_cursor` of the previous page. Deep pages stay fast and do not shift when tasks are added. Not combined with `offset`.',
    example: 'WzE3MDUzMTQ2MDAwMDAsNDJd',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
