import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { TaskStatus } from '../../lifecycle/task-status.js';
import { TASK_TYPE_FILTER } from './task-type-filter.js';

/** Query of `GET /events`. */
export class TaskEventsQueryDto {
  @ApiPropertyOptional({ description: `Only this task type. ${TASK_TYPE_FILTER}` })
  @IsOptional()
  @IsString()
  task_type?: string;

  // No example: an example here would make Swagger UI's "Try it out" open an endless stream.
  @ApiPropertyOptional({ description: 'Only this task name.' })
  @IsOptional()
  @IsString()
  task_name?: string;
}

/** Query of `GET /stats`. */
export class TaskStatsQueryDto extends TaskEventsQueryDto {
  @ApiPropertyOptional({ description: 'The window, ending now: minutes, hours or days (`15m`, `6h`, `7d`), up to 400 days.', default: '24h', example: '1h' })
  @IsOptional()
  @IsString()
  window?: string;
}

export class DurationStatsDto {
  @ApiProperty({ description: 'Estimated from duration buckets (at most one bucket width off).' }) p50!: number;
  @ApiProperty() p95!: number;
  @ApiProperty() p99!: number;
  @ApiProperty({ description: 'Exact.' }) mean!: number;
}

export class OutcomeStatsDto {
  @ApiProperty({ description: 'Tasks that reached a final state in the window.' }) finished!: number;
  @ApiProperty() completed!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() cancelled!: number;
  @ApiProperty({ description: 'Failed and cancelled tasks by error class (`none`: cancelled without a failure).', example: { timeout: 3 } })
  by_error_type!: Record<string, number>;
  @ApiProperty({ nullable: true, type: Number, description: 'completed / (completed + failed).' }) success_rate!: number | null;
  @ApiProperty({ nullable: true, type: DurationStatsDto, description: 'Duration of the final attempt, in ms.' }) duration_ms!: DurationStatsDto | null;
  @ApiProperty({ description: 'Finished tasks per minute over the window.' }) per_minute!: number;
}

export class TaskNameStatsDto extends OutcomeStatsDto {
  @ApiProperty() task_type!: string;
  @ApiProperty() task_name!: string;
}

export class TaskTypeStatsDto extends OutcomeStatsDto {
  @ApiProperty() task_type!: string;
  @ApiProperty({ description: 'Exact counts of the rows now, by status (not limited to the window).', example: { pending: 3, running: 1, completed: 90, failed: 2, cancelled: 0 } })
  current!: Record<TaskStatus, number>;
}

export class ThroughputPointDto {
  @ApiProperty() at!: string;
  @ApiProperty() completed!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() cancelled!: number;
}

export class QueueDepthDto {
  @ApiProperty() queue!: string;
  @ApiProperty() task_type!: string;
  @ApiProperty() waiting!: number;
  @ApiProperty() prioritized!: number;
  @ApiProperty() delayed!: number;
  @ApiProperty() active!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Workers serving the queue now, over every process; null when Redis refuses to list its clients.' })
  workers!: number | null;
}

export class WorkerConnectionDto {
  @ApiProperty({ example: '10.0.3.17:52114', description: "`host:port` of the worker's connection to Redis." }) address!: string;
  @ApiProperty({ example: 3600, description: 'Seconds since that connection was made.' }) connected_seconds!: number;
}

export class QueueWorkersDto {
  @ApiProperty() queue!: string;
  @ApiProperty() task_type!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'How many workers serve the queue (a process serves a queue with one); null when Redis refuses to list its clients.' })
  worker_count!: number | null;
  @ApiProperty({ type: [WorkerConnectionDto], nullable: true }) workers!: WorkerConnectionDto[] | null;
}

export class WorkersResponseDto {
  @ApiProperty({ type: [QueueWorkersDto] }) queues!: QueueWorkersDto[];
}

export class WorkersQueryDto {
  @ApiPropertyOptional({ description: `Only the queue that carries this task type (none for a retired one). ${TASK_TYPE_FILTER}` })
  @IsOptional()
  @IsString()
  task_type?: string;
}

export class TaskStatsResponseDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ enum: ['minute', 'hour', 'day'], description: 'Minutes for windows up to 6 h, hours up to 8 days, days beyond.' }) resolution!: 'minute' | 'hour' | 'day';
  @ApiProperty({ type: OutcomeStatsDto }) totals!: OutcomeStatsDto;
  @ApiProperty({ type: [TaskTypeStatsDto] }) types!: TaskTypeStatsDto[];
  @ApiProperty({ type: [TaskNameStatsDto] }) tasks!: TaskNameStatsDto[];
  @ApiProperty({ type: [ThroughputPointDto] }) throughput!: ThroughputPointDto[];
  @ApiProperty({ type: [QueueDepthDto] }) queues!: QueueDepthDto[];
}
