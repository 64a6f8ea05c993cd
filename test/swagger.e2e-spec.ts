import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { createOpenApiDocument, setupSwagger } from '../src/swagger.js';
import { createTestApp, type TestApp } from './support/test-app.js';

describe('Swagger document', () => {
  let t: TestApp;
  let doc: OpenAPIObject;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'swagger', configure: setupSwagger });
    doc = createOpenApiDocument(t.app);
  });
  afterAll(() => t.close());

  const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const jsonSchema = (operation: { responses: Record<string, unknown> }, status: string) =>
    (operation.responses[status] as { content: { 'application/json': { schema: unknown } } }).content['application/json'].schema;

  it('lists the five routes of the seed, bulk enqueue, retry, delete, schedules, stats, workers, events, workflows, health and metrics, each with a summary', () => {
    const routes = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => `${method.toUpperCase()} ${path} ${(operation as { summary?: string }).summary ? 'with summary' : 'NO SUMMARY'}`),
    );
    expect(routes.sort()).toEqual([
      'DELETE /api/tasks/{task_id} with summary',
      'GET /api/tasks with summary',
      'GET /api/tasks/count/all with summary',
      'GET /api/tasks/events with summary',
      'GET /api/tasks/schedules with summary',
      'GET /api/tasks/stats with summary',
      'GET /api/tasks/workers with summary',
      'GET /api/tasks/{task_id} with summary',
      'GET /api/tasks/{task_id}/events with summary',
      'GET /health/live with summary',
      'GET /health/ready with summary',
      'GET /metrics with summary',
      'POST /api/tasks/enqueue with summary',
      'POST /api/tasks/enqueue/bulk with summary',
      'POST /api/tasks/workflows with summary',
      'POST /api/tasks/{task_id}/cancel with summary',
      'POST /api/tasks/{task_id}/retry with summary',
    ]);
  });

  it('documents request and response schemas and the error responses of every route', () => {
    const enqueue = doc.paths['/api/tasks/enqueue'].post!;
    expect((enqueue.requestBody as { content: Record<string, { schema: unknown }> }).content['application/json'].schema).toEqual(schemaRef('EnqueueTaskDto'));
    expect(jsonSchema(enqueue, '201')).toEqual(schemaRef('EnqueueTaskResponseDto'));
    expect(Object.keys(enqueue.responses).sort()).toEqual(['200', '201', '400', '403', '413', '415', '503']);
    expect(jsonSchema(enqueue, '200')).toEqual(schemaRef('EnqueueTaskResponseDto'));

    const get = doc.paths['/api/tasks/{task_id}'].get!;
    expect(jsonSchema(get, '200')).toEqual(schemaRef('TaskResponseDto'));
    expect(Object.keys(get.responses)).toContain('404');
    expect(get.parameters!.map((parameter) => (parameter as { name: string }).name).sort()).toEqual(['task_id', 'wait_seconds']);

    const list = doc.paths['/api/tasks'].get!;
    expect(jsonSchema(list, '200')).toEqual(schemaRef('TaskListResponseDto'));
    expect(list.parameters!.map((parameter) => (parameter as { name: string }).name).sort()).toEqual(['cursor', 'error_type', 'limit', 'offset', 'status', 'task_type', 'workflow_id']);

    expect(jsonSchema(doc.paths['/api/tasks/count/all'].get!, '200')).toEqual(schemaRef('TaskCountResponseDto'));

    const cancel = doc.paths['/api/tasks/{task_id}/cancel'].post!;
    expect(jsonSchema(cancel, '200')).toEqual(schemaRef('CancelTaskResponseDto'));
    expect(jsonSchema(cancel, '409')).toEqual(schemaRef('CancelTaskResponseDto'));
    expect(Object.keys(cancel.responses).sort()).toEqual(['200', '400', '404', '409', '413', '415', '503']);

    const retry = doc.paths['/api/tasks/{task_id}/retry'].post!;
    expect(jsonSchema(retry, '200')).toEqual(schemaRef('RetryTaskResponseDto'));
    expect(jsonSchema(retry, '409')).toEqual(schemaRef('RetryTaskResponseDto'));
    expect(Object.keys(retry.responses).sort()).toEqual(['200', '400', '404', '409', '413', '415', '503']);

    expect(jsonSchema(doc.paths['/api/tasks/schedules'].get!, '200')).toEqual(schemaRef('TaskScheduleListResponseDto'));
    expect(jsonSchema(doc.paths['/api/tasks/workers'].get!, '200')).toEqual(schemaRef('WorkersResponseDto'));
  });

  it('shows the params schema of each task that declares one, and links it from the enqueue route', () => {
    const schemas = doc.components!.schemas! as Record<string, { properties: Record<string, Record<string, unknown>>; required?: string[] }>;
    const confirmation = schemas.OrderConfirmationParams;
    expect(Object.keys(confirmation.properties).sort()).toEqual(['order_id', 'recipient_email']);
    expect(confirmation.required).toEqual(expect.arrayContaining(['order_id', 'recipient_email']));
    const enqueue = doc.paths['/api/tasks/enqueue'].post!;
    expect(enqueue.description).toContain('`orders.send_confirmation`: [OrderConfirmationParams](#/components/schemas/OrderConfirmationParams)');
  });

  it('documents the enqueue options of the task features', () => {
    const body = (doc.components!.schemas! as Record<string, { properties: Record<string, Record<string, unknown>> }>).EnqueueTaskDto.properties;
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['delay_seconds', 'run_at', 'timeout_seconds', 'idempotency_key']));
    expect(body.run_at.format).toBe('date-time');
    const task = (doc.components!.schemas! as Record<string, { properties: Record<string, Record<string, unknown>> }>).TaskResponseDto.properties;
    expect(Object.keys(task)).toEqual(expect.arrayContaining(['progress', 'progress_message', 'error_type', 'run_at', 'timeout_seconds', 'idempotency_key']));
  });

  it('gives the schemas examples, bounds and the status enum', () => {
    const schemas = doc.components!.schemas! as Record<string, { properties: Record<string, Record<string, unknown>> }>;
    const enqueue = schemas.EnqueueTaskDto.properties;
    expect(enqueue.task_name.example).toBe('orders.send_confirmation');
    expect(enqueue.priority).toMatchObject({ minimum: 1, maximum: 10 });
    expect(enqueue.max_retries).toMatchObject({ minimum: 0, maximum: 25 });
    const statuses = ['pending', 'running', 'completed', 'failed', 'cancelled'];
    // An enum is either inline or a reference to the shared TaskStatus schema.
    const enumOf = (schema: Record<string, unknown>): unknown => {
      const ref = (schema.$ref ?? (schema.allOf as { $ref: string }[] | undefined)?.[0]?.$ref) as string | undefined;
      return ref ? (doc.components!.schemas![ref.split('/').pop()!] as { enum: unknown }).enum : schema.enum;
    };
    expect(enumOf(schemas.TaskResponseDto.properties.status)).toEqual(statuses);
    expect(enumOf(schemas.TaskCountResponseDto.properties.status)).toEqual(statuses);
    const listStatus = doc.paths['/api/tasks'].get!.parameters!.find((parameter) => (parameter as { name: string }).name === 'status');
    expect(enumOf((listStatus as unknown as { schema: Record<string, unknown> }).schema)).toEqual(statuses);
    expect(Object.keys(schemas.TaskListResponseDto.properties).sort()).toEqual(['limit', 'next_cursor', 'offset', 'tasks', 'total_count']);
  });

  it('serves Swagger UI at /docs and the JSON at /docs-json', async () => {
    const json = await t.http().get('/docs-json').expect(200);
    expect(Object.keys(json.body.paths)).toContain('/api/tasks/enqueue');
    const ui = await t.http().get('/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });
});
