import { describe, expect, it } from '@jest/globals';
import { isDatabaseUnavailable, wasNeverSent } from './database-health.js';

const driverError = (code: string, message = 'driver error') => Object.assign(new Error(message), { code });
/** As TypeORM wraps a driver's error. */
const wrapped = (error: Error) => Object.assign(new Error(`Query failed: ${error.message}`), { driverError: error });

describe('what a driver error says about MySQL and the statement', () => {
  it('a refused connection, an unknown host, a full server and a closed pool: unavailable, and the statement never sent', () => {
    for (const error of [driverError('ECONNREFUSED'), driverError('ENOTFOUND'), driverError('EHOSTUNREACH'), driverError('ER_CON_COUNT_ERROR'), new Error('Pool is closed.'), wrapped(driverError('ECONNREFUSED'))]) {
      expect({ error: error.message, unavailable: isDatabaseUnavailable(error), neverSent: wasNeverSent(error) }).toEqual({ error: error.message, unavailable: true, neverSent: true });
    }
  });

  it('a connection lost or reset while a statement was out: unavailable, and the statement may have been applied', () => {
    for (const code of ['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ER_SERVER_SHUTDOWN']) {
      for (const error of [driverError(code), wrapped(driverError(code))]) {
        expect({ code, unavailable: isDatabaseUnavailable(error), neverSent: wasNeverSent(error) }).toEqual({ code, unavailable: true, neverSent: false });
      }
    }
  });

  it('a statement MySQL refused is not an outage', () => {
    const duplicate = Object.assign(driverError('ER_DUP_ENTRY', "Duplicate entry 'k' for key 'uq_idempotency_key'"), { errno: 1062 });
    expect({ unavailable: isDatabaseUnavailable(duplicate), neverSent: wasNeverSent(duplicate) }).toEqual({ unavailable: false, neverSent: false });
  });
});
