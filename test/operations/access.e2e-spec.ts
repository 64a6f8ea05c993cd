import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { TaskStatus } from '../../src/tasks/index.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/** A host's guard: every request needs `x-test-key: let-me-in`. */
@Injectable()
class KeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-test-key'] === 'let-me-in') return true;
    throw new UnauthorizedException('key needed');
  }
}

describe("the operations routes honour the module's guards", () => {
  let t: TestApp;
  let taskId: string;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'ops_access', providers: [TestTasks, KeyGuard], extras: { guards: [KeyGuard] } });
    ({ taskId } = await t.tasks.enqueue({ taskName: 'test.record', params: {}, delaySeconds: 600 }));
  });
  afterAll(() => t?.close());

  const routes = () => [
    '/api/tasks/stats',
    '/api/tasks/workers',
    '/api/tasks/events',
    `/api/tasks/${taskId}/events`,
    '/health/live',
    '/health/ready',
    '/metrics',
    '/tasks-dashboard',
    '/tasks-dashboard/assets/app.js',
  ];

  it('refuses every one of them without the key', async () => {
    for (const route of routes()) {
      const { body } = await t.http().get(route).expect(401);
      expect(body.message).toBe('key needed');
    }
  });

  it('refuses every task route without the key, the ones that change tasks too, and changes nothing', async () => {
    const refused = [
      t.http().get('/api/tasks'),
      t.http().get(`/api/tasks/${taskId}`),
      t.http().get('/api/tasks/count/all'),
      t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', params: {} }),
      t.http().post('/api/tasks/enqueue/bulk').send({ tasks: [{ task_name: 'test.record', params: {} }] }),
      t.http().post('/api/tasks/workflows').send({ chain: [{ task_name: 'test.record', params: {} }] }),
      t.http().post(`/api/tasks/${taskId}/cancel`),
      t.http().post(`/api/tasks/${taskId}/retry`),
      t.http().delete(`/api/tasks/${taskId}`),
    ];
    for (const call of refused) expect((await call).status).toBe(401);
    expect(await t.tasks.getTaskCount()).toBe(1);
    expect((await t.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Pending);
  });

  it('serves every one of them with the key', async () => {
    await t.app.listen(0);
    const base = (await t.app.getUrl()).replace('[::1]', 'localhost');
    for (const route of routes()) {
      const abort = new AbortController();
      const response = await fetch(`${base}${route}`, { headers: { 'x-test-key': 'let-me-in' }, signal: abort.signal });
      expect([route, response.status]).toEqual([route, 200]);
      abort.abort(); // the event streams would stay open
    }
  });
});

describe('the operations routes can move or be left out', () => {
  let moved: TestApp;
  let none: TestApp;

  beforeAll(async () => {
    moved = await createTestApp({ suite: 'ops_paths', providers: [TestTasks], extras: { healthPath: 'probes', metricsPath: 'ops/metrics', dashboardPath: 'ops/tasks' } });
    none = await createTestApp({ suite: 'ops_none', providers: [TestTasks], extras: { healthPath: false, metricsPath: false, dashboardPath: false } });
  });
  afterAll(async () => {
    await moved?.close();
    await none?.close();
  });

  it('serves them at the configured paths', async () => {
    await moved.http().get('/probes/ready').expect(200);
    expect((await moved.http().get('/ops/metrics').expect(200)).text).toContain('background_tasks_queue_jobs');
    const page = await moved.http().get('/ops/tasks').expect(200);
    // The page finds its scripts under its own path and the API under the module's prefix.
    expect(page.text).toContain('<base href="/ops/tasks/">');
    expect(page.text).toContain('<meta name="tasks-api" content="/api/tasks">');
    await moved.http().get('/ops/tasks/assets/views.js').expect(200).expect('content-type', /javascript/);
    await moved.http().get('/ops/tasks/assets/secrets.txt').expect(404);
    await moved.http().get('/tasks-dashboard').expect(404);
  });

  it('mounts none of them when turned off, and the task API still works', async () => {
    for (const route of ['/health/live', '/health/ready', '/metrics', '/tasks-dashboard']) await none.http().get(route).expect(404);
    await none.http().get('/api/tasks/stats').expect(200);
  });
});
