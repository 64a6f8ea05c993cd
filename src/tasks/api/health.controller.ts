import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { HealthCheckResult } from '@nestjs/terminus';
import { TasksHealth } from '../health/tasks-health.js';

/** Liveness and readiness (`@nestjs/terminus`), mounted at the `healthPath` extra (default `health`). */
@ApiTags('operations')
export class HealthController {
  constructor(private readonly health: TasksHealth) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ description: '`{"status":"ok"}`' })
  live(): Promise<HealthCheckResult> {
    return this.health.live();
  }

  @Get('ready')
  @ApiOperation({ summary: "Readiness: MySQL and Redis answer, and this process's workers run" })
  @ApiOkResponse({ description: 'Every check `up`.' })
  @ApiServiceUnavailableResponse({ description: 'A check is `down`; the body says which and why.' })
  ready(): Promise<HealthCheckResult> {
    return this.health.ready();
  }
}
