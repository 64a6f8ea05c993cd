import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { DEMO_QUEUES, DemoModule } from '../src/demo/demo.module.js';
import { createOpenApiDocument, setupSwagger } from '../src/swagger.js';
import { createTestApp, type TestApp } from './support/test-app.js';

interface Operation {
  parameters?: { in: string; name: string; example?: unknown; schema?: { example?: unknown } }[];
  requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }>; example?: unknown }> };
  responses: Record<string, unknown>;
}

/** One request as Swagger UI's "Try it out" sends it: the shown example body and example query values. */
interface ExampleRequest {
  label: string;
  method: string;
  path: string;
  query: Record<string, unknown>;
  body?: unknown;
  /** The success statuses the operation documents. */
  expected: number[];
}

/** A parameter's example, on the parameter or its schema (query DTOs put it there). */
const exampleOf = (parameter: NonNullable<Operation['parameters']>[number]) => parameter.example ?? parameter.schema?.example;

/** Every request the document shows an example of (an operation whose path needs a value it has no example for shows none). */
function exampleRequests(doc: OpenAPIObject): ExampleRequest[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Operation>).flatMap(([method, operation]) => {
      const parameters = operation.parameters ?? [];
      if (parameters.some((parameter) => parameter.in === 'path' && exampleOf(parameter) === undefined)) return [];
      const query = Object.fromEntries(parameters.filter((p) => p.in === 'query' && exampleOf(p) !== undefined).map((p) => [p.name, exampleOf(p)]));
      const expected = Object.keys(operation.responses).map(Number).filter((status) => status >= 200 && status < 300);
      const json = operation.requestBody?.content['application/json'];
      const bodies = json ? [...Object.entries(json.examples ?? {}).map(([name, example]) => [name, example.value] as const), ...(json.example ? [['example', json.example] as const] : [])] : [];
      if (json && bodies.length === 0) return [];
      if (!json && Object.keys(query).length === 0) return [];
      const base = { method, path, query, expected };
      return json ? bodies.map(([name, body]) => ({ ...base, label: `${method.toUpperCase()} ${path} (${name})`, body })) : [{ ...base, label: `${method.toUpperCase()} ${path}` }];
    }),
  );
}

describe('the OpenAPI document of the demo: every request example succeeds as shown', () => {
  let t: TestApp;
  let requests: ExampleRequest[];

  beforeAll(async () => {
    t = await createTestApp({ suite: 'examples', modules: [DemoModule], tasks: { queues: DEMO_QUEUES }, configure: setupSwagger });
    requests = exampleRequests(createOpenApiDocument(t.app));
  });
  afterAll(() => t.close());

  it('shows an example for every registered task on enqueue, one bulk call, one workflow, the list query and the stats window', () => {
    expect(requests.map((request) => request.label).sort()).toEqual([
      'GET /api/tasks',
      'GET /api/tasks/stats',
      'POST /api/tasks/enqueue (afirgen_tasks.analytics.task_stats)',
      'POST /api/tasks/enqueue (afirgen_tasks.email.send_confirmation)',
      'POST /api/tasks/enqueue (afirgen_tasks.reports.generate_pdf)',
      'POST /api/tasks/enqueue (demo.flaky)',
      'POST /api/tasks/enqueue (demo.sleep)',
      'POST /api/tasks/enqueue (demo.stubborn)',
      'POST /api/tasks/enqueue/bulk (tasks)',
      'POST /api/tasks/workflows (chain)',
    ]);
  });

  it('answers each example with its documented success status (and the bulk example accepts every item)', async () => {
    for (const request of requests) {
      const call = t.http()[request.method as 'get' | 'post'](request.path).query(request.query as Record<string, string>);
      const response = request.body === undefined ? await call : await call.send(request.body as object);
      const succeeded = request.expected.includes(response.status);
      expect({ request: request.label, succeeded, body: succeeded ? null : response.body }).toEqual({ request: request.label, succeeded: true, body: null });
      // A new task, not an existing one: the examples carry no idempotency key.
      if (request.path.endsWith('/enqueue')) expect(response.status).toBe(201);
      if (request.path.endsWith('/bulk')) expect(response.body.rejected).toBe(0);
    }
  });
});
