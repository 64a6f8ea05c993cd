import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { TaskNotFoundError, TaskStatus } from '../../src/tasks/index.js';
import { createTestApp, waitFor, waitForFinalRow, whilePaused, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';
import { BasicAuthGuard, OPERATOR, VIEWER } from './browser-guard.js';

/** Debian's Chromium (`.ci/run` installs it); never a downloaded browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Set to write the README's screenshots: `DASHBOARD_SCREENSHOTS=test/dashboard/screenshots`. */
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS;

describe('the dashboard in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  const contexts: BrowserContext[] = [];

  /** A page signed in as `user`, recording every console error and uncaught exception. */
  async function open(user?: { username: string; password: string }): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ httpCredentials: user, viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    return { page, errors };
  }

  const shoot = async (page: Page, name: string) => {
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
  };

  beforeAll(async () => {
    if (SCREENSHOTS) await mkdir(SCREENSHOTS, { recursive: true });
    t = await createTestApp({ suite: 'dashboard', providers: [TestTasks, BasicAuthGuard], extras: { guards: [BasicAuthGuard] }, tasks: { progressIntervalMs: 0 } });
    await t.app.listen(0);
    url = `${(await t.app.getUrl()).replace('[::1]', 'localhost')}/tasks-dashboard`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    // Some history, so the overview has something to draw.
    const finished = await Promise.all([
      ...[20, 40, 60, 400].map((ms) => t.tasks.enqueue({ taskName: 'test.sleep', params: { ms } })),
      t.tasks.enqueue({ taskName: 'test.always_fail', params: {}, maxRetries: 0 }),
      t.tasks.enqueue({ taskName: 'test.record', params: { label: '<img src=x onerror=alert(1)>' } }),
    ]);
    for (const task of finished) await waitForFinalRow(t.tasks, task.taskId);
    // A job on a queue that no process serves (no handler of it here): it waits.
    await t.queue('reports').add('reports.unserved', {});
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await t?.close();
  });

  it('asks for credentials: the page, its scripts and its API calls are behind the module guards', async () => {
    // As a browser that has no credentials yet sees it (headless Chromium cannot show the prompt).
    for (const path of [url, `${url}/assets/app.js`, url.replace('/tasks-dashboard', '/api/tasks/stats')]) {
      const response = await fetch(path);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="tasks"');
    }
  });

  it('shows the overview with counts, success rate, charts, queues with their workers and schedules, and no console error', async () => {
    const { page, errors } = await open(OPERATOR);
    const response = await page.goto(url);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('#overview').waitFor();
    expect(await page.locator('[data-count="completed"] strong').textContent()).toBe('5');
    expect(await page.locator('[data-count="failed"] strong').textContent()).toBe('1');
    expect(await page.locator('#success-rate').textContent()).toBe('83.3 %');
    expect(await page.locator('svg.chart rect').count()).toBeGreaterThan(0);
    await expect(page.getByText('test.sleep').first().isVisible()).resolves.toBe(true);
    // This process serves `test`; no process serves `reports`, where a job waits: flagged.
    expect(await page.locator('[data-workers="test"]').textContent()).toBe('1');
    expect(await page.locator('[data-workers="test"]').getAttribute('class')).toBe('number');
    expect(await page.locator('[data-workers="reports"]').textContent()).toBe('0');
    expect(await page.locator('[data-workers="reports"]').getAttribute('class')).toBe('number unserved');
    await shoot(page, 'overview');
    expect(errors).toEqual([]);
  });

  it('lists a task enqueued through the API, follows its progress live, and cancels it from the page', async () => {
    const { page, errors } = await open(OPERATOR);
    await page.goto(url);
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.steps', params: { ms: 8000 }, expiresInSeconds: 3600, singletonKey: 'dashboard-steps' });
    await page.goto(`${url}#/tasks`);
    const row = page.locator(`tr[data-task-id="${taskId}"]`);
    await row.waitFor();
    await page.locator('select[name="status"]').selectOption('completed');
    await page.locator('#total').filter({ hasText: '5 task(s)' }).waitFor();
    await shoot(page, 'tasks');
    await page.goto(`${url}#/tasks`);
    await row.locator('a').click();
    await page.locator(`#task-detail[data-task-id="${taskId}"]`).waitFor();
    expect(await page.locator('#expires').getAttribute('data-at')).toBe((await t.tasks.getTaskStatus(taskId)).expiresAt!.toISOString());
    expect(await page.locator('dt:text-is("Singleton key") + dd').textContent()).toBe('dashboard-steps');
    // A plain task has no workflow and no error callback: nothing of them on the page.
    expect(await page.locator('#task-detail').textContent()).not.toContain('null');
    const progress = page.locator('#progress');
    const first = await waitFor(async () => Number(await progress.getAttribute('value')) || undefined, 'progress on the page');
    // No reload in between: the page moves with the task's events.
    await waitFor(async () => Number(await progress.getAttribute('value')) > first, 'progress to move on the page');
    // Once started, the expiry only bars later attempts (a retry, a redelivery).
    await page.locator('#expires', { hasText: 'no further attempt begins after' }).waitFor();
    await shoot(page, 'task');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('#cancel').click();
    await page.locator('#status[data-status="cancelled"]').waitFor();
    // A finished task's expiry no longer applies: the timeline leaves it out.
    expect(await page.locator('#expires').count()).toBe(0);
    expect((await t.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Cancelled);
    expect(errors).toEqual([]);
  });

  it("retries a failed task from the page; a viewer's cancel is refused by the same guard as over HTTP", async () => {
    const failed = (await t.tasks.listTasks({ status: TaskStatus.Failed })).tasks[0];
    const { taskId: running } = await t.tasks.enqueue({ taskName: 'test.steps', params: { ms: 8000 } });
    const viewer = await open(VIEWER);
    await viewer.page.goto(`${url}#/tasks/${running}`);
    await viewer.page.locator('#task-detail').waitFor();
    viewer.page.once('dialog', (dialog) => void dialog.accept());
    await viewer.page.locator('#cancel').click();
    await viewer.page.locator('.flash.error').filter({ hasText: 'Viewers may not change tasks' }).waitFor();
    expect((await t.tasks.getTaskStatus(running)).status).not.toBe(TaskStatus.Cancelled);

    const operator = await open(OPERATOR);
    await operator.page.goto(`${url}#/tasks/${failed.taskId}`);
    await operator.page.locator('#task-detail').waitFor();
    operator.page.once('dialog', (dialog) => void dialog.accept());
    await operator.page.locator('#retry').click();
    await operator.page.locator('.flash.ok').waitFor();
    expect((await waitForFinalRow(t.tasks, failed.taskId)).retryCount).toBe(0);
    expect(operator.errors).toEqual([]);
  });

  it('deletes a finished task from the page and goes back to the list', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'erase' } });
    await waitForFinalRow(t.tasks, taskId);
    const { page, errors } = await open(OPERATOR);
    await page.goto(`${url}#/tasks/${taskId}`);
    await page.locator('#task-detail').waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('#delete').click();
    await page.waitForURL(/#\/tasks$/);
    await expect(t.tasks.getTaskStatus(taskId)).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(errors).toEqual([]);
  });

  it('renders hostile task data as text', async () => {
    const { page, errors } = await open(OPERATOR);
    const [recorded] = (await t.tasks.listTasks({ taskType: 'test' })).tasks.filter((task) => task.taskName === 'test.record');
    let alerted = false;
    page.on('dialog', (dialog) => ((alerted = true), void dialog.dismiss()));
    await page.goto(`${url}#/tasks/${recorded.taskId}`);
    await page.locator('#params').filter({ hasText: '<img src=x onerror=alert(1)>' }).waitFor();
    expect(await page.locator('#task-detail img').count()).toBe(0);
    expect(alerted).toBe(false);
    expect(errors).toEqual([]);
  });

  it("shows a workflow's steps, each linked to its task, and its error callback apart", async () => {
    const { page, errors } = await open(OPERATOR);
    const onFailure = { taskName: 'test.record', params: { label: 'oops' } };
    const workflow = await t.tasks.chain([{ taskName: 'test.record', params: { label: 'one' } }, { taskName: 'test.record', params: { label: 'two' } }], { onFailure });
    await waitForFinalRow(t.tasks, workflow.workflowId);
    await page.goto(`${url}#/tasks/${workflow.workflowId}`);
    await page.locator('#steps li').nth(1).waitFor();
    expect(await page.locator('#steps li').count()).toBe(2);
    expect(await page.locator('#summary').textContent()).toContain('2 completed');
    // The workflow completed: its error callback never ran.
    expect(await page.locator('#on-failure').textContent()).toBe('If it fails: test.record cancelled');
    await page.locator('#steps li a').first().click();
    await page.locator(`#task-detail[data-task-id="${workflow.nodes[1].taskId}"]`).waitFor();
    expect(errors).toEqual([]);
  });

  it('marks a step waiting for its turn as waiting, and a step cancelled by a failure before it only as cancelled', async () => {
    const { page, errors } = await open(OPERATOR);
    const stepText = async (workflowId: string, index: number) => {
      await page.goto(`${url}#/tasks/${workflowId}`);
      return page.locator(`#task-detail[data-task-id="${workflowId}"] #steps li`).nth(index).textContent();
    };
    await whilePaused(t.queue('test'), async () => {
      const waiting = await t.tasks.chain([{ taskName: 'test.record', params: { label: 'first' } }, { taskName: 'test.record', params: { label: 'second' } }]);
      expect(await stepText(waiting.workflowId, 1)).toBe('test.record pending waiting');
    });
    const failed = await t.tasks.chain([{ taskName: 'test.always_fail', params: {}, maxRetries: 0 }, { taskName: 'test.record', params: { label: 'never' } }]);
    await waitForFinalRow(t.tasks, failed.workflowId);
    const cancelled = await stepText(failed.workflowId, 1);
    expect(cancelled).toMatch(/^test\.record cancelled /);
    expect(cancelled).not.toContain('waiting');
    // The list says why a task failed: its class, and its message on hover.
    await page.goto(`${url}#/tasks?status=failed&workflow_id=${failed.workflowId}`);
    const error = page.locator(`tr[data-task-id="${failed.nodes[1].taskId}"] td.error`);
    expect(await error.textContent()).toBe('unknown');
    expect(await error.getAttribute('title')).toBe('planned failure on attempt 1');
    expect(errors).toEqual([]);
  });
});
