import { timingSafeEqual } from 'node:crypto';
import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

/** The header the demo's clients send their key in. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * The demo's lock on the task routes, given to TasksModule's `guards`: when `TASKS_API_KEY` is
 * set, every request must carry it in `x-api-key`, or as the password of HTTP Basic auth
 * (what a browser sends to the dashboard once asked: a 401 says `WWW-Authenticate: Basic`);
 * 401 otherwise. Unset, the routes are open, as for a first run on a developer's machine.
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
    const http = context.switchToHttp();
    const { headers } = http.getRequest<{ headers: Record<string, string | undefined> }>();
    const given = headers[API_KEY_HEADER] ?? basicAuthPassword(headers.authorization);
    const candidate = Buffer.from(typeof given === 'string' ? given : '');
    if (candidate.length === this.key.length && timingSafeEqual(candidate, this.key)) return true;
    http.getResponse<{ setHeader(name: string, value: string): void }>().setHeader('WWW-Authenticate', 'Basic realm="tasks", charset="UTF-8"');
    throw new UnauthorizedException(`Send the API key in the ${API_KEY_HEADER} header (or as the Basic auth password)`);
  }
}

/** The password of an `Authorization: Basic …` header (any user name), or undefined. */
function basicAuthPassword(authorization: string | undefined): string | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  return decoded.includes(':') ? decoded.slice(decoded.indexOf(':') + 1) : undefined;
}
