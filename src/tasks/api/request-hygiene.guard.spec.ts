import { describe, expect, it } from '@jest/globals';
import { BadRequestException, Body, PayloadTooLargeException, Query, type ExecutionContext } from '@nestjs/common';
import { RequestHygieneGuard } from './request-hygiene.guard.js';

/** A POST of `body` to the route whose handler is `handler`, as the guard sees it before any pipe (a chunked one declares no length). */
function post(handler: keyof Routes, body: unknown, contentLength: string | null = '1000'): ExecutionContext {
  const request = { method: 'POST', headers: { 'content-type': 'application/json', ...(contentLength === null ? {} : { 'content-length': contentLength }) }, body };
  return { switchToHttp: () => ({ getRequest: () => request }), getClass: () => Routes, getHandler: () => ({ name: handler }) } as unknown as ExecutionContext;
}
/** A GET of `query` to the route whose handler is `handler` of {@link Routes}. */
function get(handler: keyof Routes, query: Record<string, string>): ExecutionContext {
  const request = { method: 'GET', headers: {}, query };
  return { switchToHttp: () => ({ getRequest: () => request }), getClass: () => Routes, getHandler: () => Routes.prototype[handler] } as unknown as ExecutionContext;
}
/** Routes as a controller declares them: with a query DTO or none, with a body or none. */
class Routes {
  list(@Query() query: object): object {
    return query;
  }
  schedules(): void {}
  enqueue(@Body() body: object): object {
    return body;
  }
  enqueueBulk(@Body() body: object): object {
    return body;
  }
  createWorkflow(@Body() body: object): object {
    return body;
  }
  cancel(): void {}
}
/** What the guard answers: true, or the problems of its 400. */
function answer(context: ExecutionContext): true | string[] {
  try {
    return new RequestHygieneGuard().canActivate(context) as true;
  } catch (error) {
    if (error instanceof BadRequestException) return (error.getResponse() as { message: string[] }).message;
    throw error;
  }
}
const task = { task_name: 'test.record' };

describe('RequestHygieneGuard, on the outline of a bulk or workflow body (before the validation pipe walks its values)', () => {
  it('refuses a bulk body with a field the route does not take, however large the field', () => {
    expect(answer(post('enqueueBulk', { tasks: [task], pad: new Array(2_000_000).fill(0) }))).toEqual(['property pad should not exist']);
  });

  it('refuses a bulk body of more than 1,000 tasks, in the words of its DTO', () => {
    expect(answer(post('enqueueBulk', { tasks: new Array(180_000).fill(task) }))).toEqual(['tasks must contain no more than 1000 elements']);
    expect(answer(post('enqueueBulk', { tasks: new Array(1000).fill(task) }))).toBe(true);
  });

  it('refuses a workflow of more than 1,000 tasks, counted without validating one, and a field no workflow takes', () => {
    expect(answer(post('createWorkflow', { group: new Array(100_000).fill({ task_name: 'nope.nothing' }) }))).toEqual(['a workflow holds at most 1000 tasks, this one 100000']);
    expect(answer(post('createWorkflow', { chain: [task], colour: 'red' }))).toEqual(['property colour should not exist']);
    expect(answer(post('createWorkflow', { chord: new Array(998).fill(task), callback: task, on_failure: task, on_member_failure: 'continue' }))).toBe(true);
  });

  it('tells a body that is a list or a string, not an object, what the route takes', () => {
    expect(answer(post('enqueueBulk', [task]))).toEqual(['the body must be a JSON object: { "tasks": [...] }']);
    expect(answer(post('createWorkflow', [task]))).toEqual(['the body must be a JSON object: { "chain": [...] }, { "group": [...] } or { "chord": [...], "callback": {...} }']);
    expect(answer(post('enqueue', [task]))).toEqual(['the body must be a JSON object, one task (several go to POST /enqueue/bulk as { "tasks": [...] })']);
    expect(answer(post('createWorkflow', 'chain'))).toEqual(['the body must be a JSON object: { "chain": [...] }, { "group": [...] } or { "chord": [...], "callback": {...} }']);
  });
});

describe('RequestHygieneGuard, on a chunked body (no Content-Length)', () => {
  it('holds it to the route\'s limit by the JSON it parsed to, as a declared length is held', () => {
    const large = { task_name: 'test.record', params: { blob: 'x'.repeat(200_000) } };
    expect(() => new RequestHygieneGuard().canActivate(post('enqueue', large, null))).toThrow(PayloadTooLargeException);
    expect(() => new RequestHygieneGuard().canActivate(post('enqueue', large, null))).toThrow('The body is larger than 102400 bytes, the limit of this route');
    expect(answer(post('enqueue', { task_name: 'test.record', params: { blob: 'x'.repeat(90_000) } }, null))).toBe(true);
    // The bulk route's own limit, 5 MB, holds the same way.
    expect(answer(post('enqueueBulk', { tasks: [large] }, null))).toBe(true);
  });
});

describe('RequestHygieneGuard, on the query', () => {
  it('refuses every query field of a route that takes no query, naming each', () => {
    expect(answer(get('schedules', { x: '1', wait_seconds: '5' }))).toEqual(['property x should not exist', 'property wait_seconds should not exist']);
    expect(answer(get('schedules', {}))).toBe(true);
  });

  it('leaves the query of a route that takes one to its DTO', () => {
    expect(answer(get('list', { x: '1' }))).toBe(true);
  });
});

describe('RequestHygieneGuard, on the body of a route that takes none', () => {
  it('refuses each field of a body sent to it, and a body that is no object', () => {
    expect(answer(post('cancel', { priority: 9, reason: 'x' }))).toEqual(['property priority should not exist', 'property reason should not exist']);
    expect(answer(post('cancel', 'now'))).toEqual(['this route takes no body: send none, or {}']);
    expect(answer(post('cancel', [1]))).toEqual(['this route takes no body: send none, or {}']);
  });

  it('accepts no body, null and {}, which clients send with any POST', () => {
    expect(answer(post('cancel', undefined))).toBe(true);
    expect(answer(post('cancel', null))).toBe(true);
    expect(answer(post('cancel', {}))).toBe(true);
  });
});
