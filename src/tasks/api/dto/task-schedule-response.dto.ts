import { ApiProperty } from '@nestjs/swagger';
import type { TaskScheduleView } from '../../schedules/task-schedules.js';

/** One periodic task of `GET /schedules`. */
export class TaskScheduleResponseDto {
  @ApiProperty({ example: 'demo.heartbeat' })
  name!: string;

  @ApiProperty({ example: 'demo.heartbeat' })
  task_name!: string;

  @ApiProperty({ type: String, nullable: true, example: '*/5 * * * *', description: 'Cron pattern, or null for a fixed interval.' })
  cron!: string | null;

  @ApiProperty({ type: Number, nullable: true, example: null, description: 'Fixed interval in ms, or null for a cron pattern.' })
  every_ms!: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'Europe/Berlin', description: 'Time zone of the cron pattern (UTC when null).' })
  tz!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: {} })
  params!: Record<string, unknown> | null;

  @ApiProperty({ type: Number, nullable: true, example: null })
  priority!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: null, description: "Each run's task expires this many seconds after it is enqueued (null: never)." })
  expires_in_seconds!: number | null;

  @ApiProperty({ example: true, description: 'False: a run is skipped while the previous run of the schedule is still pending or running.' })
  overlap!: boolean;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: '2024-01-15T10:35:00.000Z', description: 'Next run; null until a worker process registered the schedule.' })
  next_run_at!: string | null;

  static from(schedule: TaskScheduleView): TaskScheduleResponseDto {
    return {
      name: schedule.name,
      task_name: schedule.taskName,
      cron: schedule.cron ?? null,
      every_ms: schedule.everyMs ?? null,
      tz: schedule.cron ? (schedule.tz ?? 'UTC') : null,
      params: schedule.params ?? null,
      priority: schedule.priority ?? null,
      expires_in_seconds: schedule.expiresInSeconds ?? null,
      overlap: schedule.overlap !== false,
      next_run_at: schedule.nextRunAt?.toISOString() ?? null,
    };
  }
}

/** Response of `GET /schedules`. */
export class TaskScheduleListResponseDto {
  @ApiProperty({ type: [TaskScheduleResponseDto] })
  schedules!: TaskScheduleResponseDto[];
}
