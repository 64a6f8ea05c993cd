import { describe, expect, it } from '@jest/globals';
import { RedisUnreachableError, waitForRedis } from 'tasks-module';
import { exitCodeOfModuleCode } from './support/child-process.js';
import { freePort } from './support/private-services.js';
import { REDIS_URL } from './support/test-app.js';

describe('waitForRedis (the module startup wait, for a host to run beside its own)', () => {
  it('resolves once Redis answers', async () => {
    await expect(waitForRedis(REDIS_URL, 5000)).resolves.toBeUndefined();
  });

  it('rejects with RedisUnreachableError naming the server and the wait when nothing answers', async () => {
    const port = await freePort();
    const started = Date.now();
    const waited = waitForRedis(`redis://127.0.0.1:${port}`, 300);
    await expect(waited).rejects.toBeInstanceOf(RedisUnreachableError);
    await expect(waited).rejects.toThrow(`Redis at redis://127.0.0.1:${port} did not answer within 300 ms (TasksModule option "redis"); is it running?`);
    // It gives up when its wait ends, not at ioredis's own pace (ioredis retries for ever).
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('does not hold the process open by itself: a wait that nothing settles lets it exit', async () => {
    // A bootstrap that failed elsewhere first closes its connections and leaves the waits of the
    // others pending: their 60 s timers must not keep a process that has nothing else to do.
    const script = `import { readyWithin } from './dist/src/tasks/queue/redis-ready.js';
      readyWithin(new Promise(() => {}), 'redis://127.0.0.1:1', 60000).catch(() => process.exit(3));`;
    await expect(exitCodeOfModuleCode(script)).resolves.toBe(0);
  });
});
