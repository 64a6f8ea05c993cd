import { HttpException, Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { TasksMetrics } from '../metrics/tasks-metrics.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { TasksHealth } from './tasks-health.js';

/**
 * The probe port (`probePort`): `/health/live`, `/health/ready` and `/metrics` over plain
 * Node HTTP, for processes without an HTTP server of their own (worker-only processes), so an
 * orchestrator can probe and scrape them. It serves nothing else, and no guard applies: bind
 * it where only the orchestrator and Prometheus reach it (`probeHost`).
 */
@Injectable()
export class ProbeServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProbeServer.name);
  private server?: Server;

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly health: TasksHealth,
    private readonly metrics: TasksMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.probePort === undefined) return;
    this.server = createServer((request, response) => void this.answer(request, response));
    this.server.listen(this.options.probePort, this.options.probeHost);
    await once(this.server, 'listening');
    this.logger.log(`Probes and metrics on http://${this.options.probeHost}:${this.port()}`);
  }

  /** The port listened on (useful with `probePort: 0`). */
  port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET') return send(response, 405, 'application/json', JSON.stringify({ message: 'GET only' }));
    try {
      if (path === '/metrics') {
        const { contentType, body } = await this.metrics.scrape();
        return send(response, 200, contentType, body);
      }
      if (path === '/health/live' || path === '/health/ready') {
        const result = await (path === '/health/live' ? this.health.live() : this.health.ready());
        return send(response, 200, 'application/json', JSON.stringify(result));
      }
      send(response, 404, 'application/json', JSON.stringify({ message: `No probe at ${path}` }));
    } catch (error) {
      if (error instanceof HttpException) return send(response, error.getStatus(), 'application/json', JSON.stringify(error.getResponse()));
      this.logger.error(`Probe ${path} failed: ${(error as Error).message}`);
      send(response, 500, 'application/json', JSON.stringify({ message: 'probe failed' }));
    }
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
}
