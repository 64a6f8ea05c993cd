import { timingSafeEqual } from 'node:crypto';
import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

/** The header the demo's clients send their key in. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * The demo's lock on the task routes, given to TasksModule's `guards`: when `TASKS_API_KEY` is
 * set, every request must carry it in `x-api-key` (401 otherwise); unset, the routes are open,
 * as for a first run on a developer's machine.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly key?: Buffer;

  constructor(config: ConfigService) {
    const key = config.get<string>('TASKS_API_KEY');
    this.key = key ? Buffer.from(key) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.key) return true;
    const given = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers[API_KEY_HEADER];
    const candidate = Buffer.from(typeof given === 'string' ? given : '');
    if (candidate.length === this.key.length && timingSafeEqual(candidate, this.key)) return true;
    throw new UnauthorizedException(`Send the API key in the ${API_KEY_HEADER} header`);
  }
}
