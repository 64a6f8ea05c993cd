import {
  BadRequestException,
  Injectable,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { MAX_JSON_DEPTH, jsonValueProblems, nestsDeeperThan } from '../store/json-value.js';
import { bulkOutlineProblems, notAnObjectProblem, workflowOutlineProblems } from './body-outline.js';
import { unexpectedBodyProblems, unexpectedQueryProblems } from './undeclared-input.js';

/** Largest request body of a route other than the bulk enqueue. */
export const MAX_REQUEST_BYTES = 100 * 1024;
/** Levels a workflow body adds over a task's params: two per nesting (object, list), five nestings, the callback. */
const WORKFLOW_BODY_DEPTH = 12;
/** Largest bulk enqueue (and workflow) body. */
export const MAX_BULK_REQUEST_BYTES = 5 * 1024 * 1024;

interface RequestLike {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  query?: Record<string, unknown>;
  body?: unknown;
}

/** Where the guard leaves, for the bulk route, what keeps each item (by index) from being stored. */
export const BULK_ITEM_PROBLEMS = Symbol('tasks:bulk-item-problems');

/** A bulk request after this guard. */
export interface BulkRequest {
  [BULK_ITEM_PROBLEMS]?: string[][];
}

/**
 * Checks every request before validation touches its body:
 * - a route that takes no query refuses every query field (400), as the routes with one refuse
 *   the fields they do not take, and a POST route that takes no body a body with fields;
 * - a POST carries JSON or no body at all (415 otherwise): a cross-site HTML form, which can
 *   only send form encodings or text/plain, cannot enqueue, cancel or retry;
 * - the body is no larger than the route's limit (413);
 * - a bulk or workflow body takes only its own fields and carries at most 1,000 tasks (400);
 * - the body's JSON nests no deeper than the validators can walk, has no prototype keys, no
 *   lone surrogates and no numbers JSON cannot hold (400, naming where). A bulk body is checked
 *   for depth only here: each of its items gets its own answer.
 */
@Injectable()
export class RequestHygieneGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RequestLike>();
    const unexpectedQuery = unexpectedQueryProblems(context, request.query);
    if (unexpectedQuery.length > 0) throw new BadRequestException(unexpectedQuery);
    if (request.method !== 'POST') return true;
    const contentType = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== '' && contentType !== 'application/json') {
      throw new UnsupportedMediaTypeException(`Send the body as application/json (got ${contentType})`);
    }
    const handler = context.getHandler().name;
    const bulk = handler === 'enqueueBulk';
    // A workflow carries up to 1,000 tasks, nested: room as a bulk call has, and depth for its tree.
    const workflow = handler === 'createWorkflow';
    const limit = bulk || workflow ? MAX_BULK_REQUEST_BYTES : MAX_REQUEST_BYTES;
    if (bodyBytes(request) > limit) {
      throw new PayloadTooLargeException(`The body is larger than ${limit} bytes, the limit of this route`);
    }
    const unexpectedBody = unexpectedBodyProblems(context, request.body);
    if (unexpectedBody.length > 0) throw new BadRequestException(unexpectedBody);
    const notAnObject = notAnObjectProblem(handler, request.body);
    if (notAnObject) throw new BadRequestException([notAnObject]);
    // Before any walk of its values: what is wrong with a body's outline costs no walk to tell.
    const outline = bulk ? bulkOutlineProblems(request.body) : workflow ? workflowOutlineProblems(request.body) : [];
    if (outline.length > 0) throw new BadRequestException(outline);
    // Bulk: body -> tasks -> item -> params, then the params' own depth.
    if (bulk) {
      if (nestsDeeperThan(request.body, MAX_JSON_DEPTH + 3)) throw new BadRequestException([`body nests deeper than ${MAX_JSON_DEPTH + 3} levels`]);
      // Checked here, on the body as sent: validation's copy of the items drops prototype keys.
      const tasks = (request.body as { tasks?: unknown } | undefined)?.tasks;
      (request as BulkRequest)[BULK_ITEM_PROBLEMS] = Array.isArray(tasks) ? tasks.map((item) => jsonValueProblems(item, 'task')) : [];
      return true;
    }
    const problems = jsonValueProblems(request.body ?? {}, 'body', MAX_JSON_DEPTH + 1 + (workflow ? WORKFLOW_BODY_DEPTH : 0));
    if (problems.length > 0) throw new BadRequestException(problems);
    return true;
  }
}

/**
 * The body's size: as its `Content-Length` declares it, or, for a chunked body, which declares
 * none, as the JSON it parsed to (whitespace aside, what was sent). Without the second, a
 * chunked request took the body parser's 5 MB on every route, past the 100 KB this guard holds
 * them to.
 */
function bodyBytes(request: RequestLike): number {
  const declared = request.headers['content-length'];
  if (declared !== undefined) return Number(declared);
  try {
    return request.body === undefined ? 0 : Buffer.byteLength(JSON.stringify(request.body));
  } catch {
    // Nothing a JSON parser made fails to serialise; anything else is not a body to take.
    return Number.POSITIVE_INFINITY;
  }
}
