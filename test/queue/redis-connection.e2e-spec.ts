import { describe, expect, it } from '@jest/globals';
import { exitCodeOfModuleCode } from '../support/child-process.js';
import { freePort } from '../support/private-services.js';
import { REDIS_URL } from '../support/test-app.js';

/**
 * Exit code of a child that closes the cancel marks' connection once `closeWhen` has happened
 * (their startup wait still pending), lets that wait fail, and then has nothing left to do:
 * 0 when it exits by itself, 5 when something still holds it 1.5 s later.
 */
function exitCodeAfterClosing(redis: string, closeWhen: 'connect' | 'reconnecting'): Promise<number | null> {
  const script = `import { CancelMarks } from './dist/src/tasks/queue/cancel-marks.js';
    const marks = new CancelMarks({ redis: ${JSON.stringify(redis)}, startupTimeoutMs: 300 }, {});
    const keepAlive = setInterval(() => {}, 1000);
    const init = marks.onModuleInit();
    await new Promise((happened) => marks.connection.once(${JSON.stringify(closeWhen)}, happened));
    marks.onApplicationShutdown();
    await init.then(() => process.exit(4), () => undefined);
    clearInterval(keepAlive);
    setTimeout(() => process.exit(5), 1500).unref();`;
  return exitCodeOfModuleCode(script);
}

// ioredis arms a ref'd timer on every disconnect() that only the socket's close clears (2 s by
// default). Closed at these two moments, a connection's socket never closes again afterwards.
describe('closing the module’s Redis connections (Redis)', () => {
  it('lets the process exit when the app closes during a connection’s ready check (a bootstrap that failed elsewhere)', async () => {
    // The socket is open, ioredis's ready check unanswered: ioredis disconnects once more itself
    // when that check fails, and the startup wait's failure closes the connection again.
    await expect(exitCodeAfterClosing(REDIS_URL, 'connect')).resolves.toBe(0);
  });

  it('lets the process exit when the app closes while Redis is down', async () => {
    await expect(exitCodeAfterClosing(`redis://127.0.0.1:${await freePort()}`, 'reconnecting')).resolves.toBe(0);
  });
});
