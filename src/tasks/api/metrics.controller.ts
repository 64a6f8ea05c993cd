import { Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { TasksMetrics } from '../metrics/tasks-metrics.js';

/** What the route needs of the HTTP response (Express and Fastify both have it). */
interface TypedResponse {
  type?(contentType: string): unknown;
  header(name: string, value: string): unknown;
  send(body: string): unknown;
}

/** Prometheus metrics, mounted at the `metricsPath` extra (default `metrics`). */
@ApiTags('operations')
export class MetricsController {
  constructor(private readonly metrics: TasksMetrics) {}

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: "Prometheus metrics: the module's (background_tasks_*) and the default registry's" })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format.' })
  async scrape(@Res() response: TypedResponse): Promise<void> {
    const { contentType, body } = await this.metrics.scrape();
    response.header('content-type', contentType);
    response.send(body);
  }
}
