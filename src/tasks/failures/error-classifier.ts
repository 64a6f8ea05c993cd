import { TaskErrorType } from './task-error-type.js';
import { TaskFailure } from './task-failure.errors.js';

/** Node's error codes of a connection that failed or a peer that went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT',
]);
/** Node's error codes of an exhausted resource. */
const RESOURCE_CODES = new Set(['ENOMEM', 'EMFILE', 'ENFILE', 'ENOSPC', 'EDQUOT', 'ERR_OUT_OF_MEMORY']);

/**
 * The class of whatever a handler threw: a {@link TaskFailure} says its own; otherwise the
 * error's code, name and shape decide (a Node socket error is `network`, a MySQL error
 * `database`, `ENOMEM` `resource`, a class-validator or Zod error `validation`), and what
 * cannot be told is `unknown`.
 */
export function classifyError(error: unknown): TaskErrorType {
  if (error instanceof TaskFailure) return error.errorType;
  if (!error || typeof error !== 'object') return TaskErrorType.Unknown;
  const { code, name, errno, sqlState, sqlMessage, cause } = error as Record<string, unknown>;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return TaskErrorType.Network;
  if (typeof code === 'string' && RESOURCE_CODES.has(code)) return TaskErrorType.Resource;
  if (name === 'TimeoutError') return TaskErrorType.Timeout;
  if (name === 'QueryFailedError' || typeof sqlState === 'string' || typeof sqlMessage === 'string' || (typeof code === 'string' && code.startsWith('ER_'))) {
    return TaskErrorType.Database;
  }
  if (name === 'ValidationError' || name === 'ZodError' || isClassValidatorErrorList(error)) return TaskErrorType.Validation;
  if (error instanceof RangeError && /memory|heap|allocation/i.test(error.message)) return TaskErrorType.Resource;
  if (name === 'FetchError' || (error instanceof TypeError && error.message === 'fetch failed')) {
    return cause && classifyError(cause) !== TaskErrorType.Unknown ? classifyError(cause) : TaskErrorType.Network;
  }
  if (typeof errno === 'number' && errno >= 1000 && errno < 5000 && typeof code === 'string') return TaskErrorType.Database;
  return cause ? classifyError(cause) : TaskErrorType.Unknown;
}

/** `validate()` of class-validator rejects with (or returns) an array of ValidationError. */
function isClassValidatorErrorList(error: object): boolean {
  return Array.isArray(error) && error.length > 0 && error.every((item) => item && typeof item === 'object' && 'constraints' in item);
}
