import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, type TransformFnParams } from 'class-transformer';
import { IsInt, IsOptional, IsString } from 'class-validator';
import { MAX_LIST_LIMIT, MAX_LIST_OFFSET } from '../../tasks.constants.js';
import { TaskErrorType } from '../../failures/task-error-type.js';
import { TaskStatus } from '../../lifecycle/task-status.js';
import { TASK_TYPE_FILTER } from './task-type-filter.js';

/**
 * A query's integer as plain decimal digits, turned into a number; anything else (`0x10`, `1e3`,
 * ` 5`, an empty value) stays a string, which `@IsInt` refuses. `Number()` alone took `0x10` for 16.
 * Digits past what a number holds exactly become the largest safe integer (of their sign), so that
 * `limit=999999999999999999` is told the route's range, as `limit=5000` is, not that it is no integer.
 */
function decimalInteger({ value }: TransformFnParams): unknown {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) return value;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : Math.sign(number) * Number.MAX_SAFE_INTEGER;
}

/** Query of `GET /count/all`: optional filters (their values are checked by the service). */
export class TaskFilterQueryDto {
  @ApiPropertyOptional({ enum: TaskStatus, enumName: 'TaskStatus', example: TaskStatus.Pending })
  @IsOptional()
  @IsString()
  status?: TaskStatus;

  @ApiPropertyOptional({
    // No example: which types exist is the host's configuration.
    description: TASK_TYPE_FILTER,
  })
  @IsOptional()
  @IsString()
  task_type?: string;

  @ApiPropertyOptional({ enum: TaskErrorType, enumName: 'TaskErrorType', description: 'Class of the last failure.', example: TaskErrorType.Timeout })
  @IsOptional()
  @IsString()
  error_type?: TaskErrorType;

  @ApiPropertyOptional({ description: "A workflow's id: its steps and members." })
  @IsOptional()
  @IsString()
  workflow_id?: string;
}

/** Query of `GET /`: filters and a page. */
export class ListTasksQueryDto extends TaskFilterQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_LIST_LIMIT, default: 100, example: 100 })
  @IsOptional()
  @Transform(decimalInteger)
  @IsInt()
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_LIST_OFFSET, default: 0, example: 0, description: `Rows to skip, at most ${MAX_LIST_OFFSET}; deeper pages with \`cursor\`.` })
  @IsOptional()
  @Transform(decimalInteger)
  @IsInt()
  offset?: number;

  @ApiPropertyOptional({
    description:
      'Keyset pagination: the `next_cursor` of the previous page. Deep pages stay fast and do not shift when tasks are added. Not combined with `offset`.',
    example: 'WzE3MDUzMTQ2MDAwMDAsNDJd',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  cursor?: string;
}

/** Query of `GET /:task_id`. */
export class GetTaskQueryDto {
  // No example: Swagger UI would fill it in, and "Try it out" would wait.
  @ApiPropertyOptional({
    description:
      'Long polling: answer as soon as the task is completed, failed or cancelled, or after this many seconds (0 to 60) with its state then. Left out: at once.',
  })
  @IsOptional()
  @IsString()
  wait_seconds?: string;
}
