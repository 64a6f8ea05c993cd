import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import type { ExecutionContext } from '@nestjs/common';

/**
 * What is wrong with a request's query, for a route whose handler takes none: each field it
 * carries, in the words the query DTOs' whitelisting uses. A route with a query DTO is left to
 * that DTO (whitelisted, so it refuses unknown fields the same way). Without this, a misspelt
 * option (`?wait_seconds=5` on a cancel, `?x=1` on the schedules) was silently ignored, where the
 * routes with a query refused it.
 */
export function unexpectedQueryProblems(context: ExecutionContext, query: Record<string, unknown> | undefined): string[] {
  const fields = Object.keys(query ?? {});
  if (fields.length === 0 || takes(context, RouteParamtypes.QUERY)) return [];
  return fields.map((field) => `property ${field} should not exist`);
}

/**
 * The same for a request's body, on a route whose handler takes none (cancel, retry): an option
 * sent in the body (`{"priority": 9}` to a retry) is refused rather than ignored. No body, `null`
 * and `{}` are accepted, since many clients send one of them with every POST.
 */
export function unexpectedBodyProblems(context: ExecutionContext, body: unknown): string[] {
  if (body === undefined || body === null || takes(context, RouteParamtypes.BODY)) return [];
  if (typeof body !== 'object' || Array.isArray(body)) return ['this route takes no body: send none, or {}'];
  return Object.keys(body).map((field) => `property ${field} should not exist`);
}

/** Whether the handler has a parameter of this kind (Nest's route argument metadata, keyed `<paramtype>:<index>`). */
function takes(context: ExecutionContext, paramtype: RouteParamtypes): boolean {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), context.getHandler().name) ?? {}) as Record<string, unknown>;
  return Object.keys(args).some((key) => key.split(':')[0] === String(paramtype));
}
