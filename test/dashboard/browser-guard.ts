import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';

/** The browser suite's users: an operator may do anything, a viewer may only read. */
export const OPERATOR = { username: 'operator', password: 'op-secret' };
export const VIEWER = { username: 'viewer', password: 'view-only' };

/**
 * A host's guard as TasksModule gets it in `guards`: HTTP Basic auth (what a browser sends on
 * every request of the page once asked), read-only for the viewer.
 */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<{ method: string; headers: Record<string, string | undefined> }>();
    const [user, password] = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
    const known = [OPERATOR, VIEWER].find((candidate) => candidate.username === user && candidate.password === password);
    if (!known) {
      http.getResponse<{ setHeader(name: string, value: string): void }>().setHeader('WWW-Authenticate', 'Basic realm="tasks"');
      throw new UnauthorizedException('Sign in');
    }
    if (known === VIEWER && request.method !== 'GET') throw new ForbiddenException('Viewers may not change tasks');
    return true;
  }
}
