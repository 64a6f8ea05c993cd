import { Injectable } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { TaskQueues } from '../queue/task-queues.js';
import { DatabaseHealth } from '../store/database-health.js';
import { TaskWorkersHost } from '../worker/task-workers.host.js';

/** How long one dependency may take to answer a readiness check before it counts as down. */
const CHECK_TIMEOUT_MS = 2000;

/**
 * Liveness and readiness with `@nestjs/terminus`. Live: the process answers. Ready: MySQL and
 * Redis answer and every queue this process serves has a running worker (a process in the
 * `api` role serves none). Both throw terminus's 503 (ServiceUnavailableException with the
 * result as its body) when something is down.
 */
@Injectable()
export class TasksHealth {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: DatabaseHealth,
    private readonly queues: TaskQueues,
    private readonly workers: TaskWorkersHost,
  ) {}

  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.indicators.check('mysql').attempt(() => this.database.ping()).withTimeout(CHECK_TIMEOUT_MS),
      () => this.indicators.check('redis').attempt(() => this.queues.ping()).withTimeout(CHECK_TIMEOUT_MS),
      () => this.workersIndicator(),
    ]);
  }

  private workersIndicator() {
    const workers = this.workers.workersRunning();
    const stopped = workers.filter((worker) => !worker.running).map((worker) => worker.queue);
    const session = this.indicators.check('workers');
    const queues = workers.map((worker) => worker.queue);
    return stopped.length === 0 ? session.up({ queues }) : session.down({ queues, stopped });
  }
}
