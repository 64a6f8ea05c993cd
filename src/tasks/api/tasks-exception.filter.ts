import { Catch, HttpException, InternalServerErrorException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';

interface ResponseLike {
  status(code: number): ResponseLike;
  json(body: unknown): void;
}

/**
 * The routes' last line: typed errors answer as they are; anything else is a 500 that says
 * nothing of the internals and is logged as what failed and where, never with the SQL's bound
 * parameters or the request's data (a failed INSERT's error carries both).
 */
@Catch()
export class TasksExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(TasksExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<ResponseLike>();
    const error = exception instanceof HttpException ? exception : new InternalServerErrorException();
    if (!(exception instanceof HttpException)) {
      const { method, url } = http.getRequest<{ method: string; url: string }>();
      this.logger.error(`${method} ${url.split('?')[0]} failed: ${describe(exception)}`);
    }
    const body = error.getResponse();
    // As Nest's own handler answers: a plain-text exception becomes `{ statusCode, message }`.
    response.status(error.getStatus()).json(typeof body === 'string' ? { statusCode: error.getStatus(), message: body } : body);
  }
}

/** Name, driver code and the first line of the message: no `sql`, no `parameters`, no stack of values. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const { code } = error as { code?: unknown };
  return `${error.name}${typeof code === 'string' ? ` (${code})` : ''}: ${error.message.split('\n')[0].slice(0, 200)}`;
}
