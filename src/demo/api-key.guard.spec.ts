import { describe, expect, it } from '@jest/globals';
import { UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { ApiKeyGuard } from './api-key.guard.js';

/** A request with these headers, and the headers the guard set on its response. */
function call(guard: ApiKeyGuard, headers: Record<string, string>): { allowed: boolean | 'refused'; responseHeaders: Record<string, string> } {
  const responseHeaders: Record<string, string> = {};
  const context = {
    switchToHttp: () => ({ getRequest: () => ({ headers }), getResponse: () => ({ setHeader: (name: string, value: string) => (responseHeaders[name] = value) }) }),
  } as unknown as ExecutionContext;
  try {
    return { allowed: guard.canActivate(context), responseHeaders };
  } catch (error) {
    expect(error).toBeInstanceOf(UnauthorizedException);
    return { allowed: 'refused', responseHeaders };
  }
}

const guardWith = (key?: string) => new ApiKeyGuard({ get: () => key } as unknown as ConfigService);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the demo ApiKeyGuard', () => {
  it('lets everything through without TASKS_API_KEY', () => {
    expect(call(guardWith(undefined), {}).allowed).toBe(true);
  });

  it('takes the key in x-api-key or as the Basic-auth password (any user), and nothing else', () => {
    const guard = guardWith('s3cret');
    expect(call(guard, { 'x-api-key': 's3cret' }).allowed).toBe(true);
    expect(call(guard, { authorization: basic('anyone', 's3cret') }).allowed).toBe(true);
    const refusedHeaders: Array<Record<string, string>> = [{}, { 'x-api-key': 's3cret!' }, { authorization: basic('s3cret', 'wrong') }, { authorization: 'Bearer s3cret' }];
    for (const headers of refusedHeaders) {
      const refused = call(guard, headers);
      expect(refused).toEqual({ allowed: 'refused', responseHeaders: { 'WWW-Authenticate': 'Basic realm="tasks", charset="UTF-8"' } });
    }
  });
});
