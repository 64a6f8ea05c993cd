import { Get, Header, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { readFile } from 'node:fs/promises';

/** The dashboard's files, shipped in the package beside this module (no CDN: it runs behind firewalls). */
const ASSETS = new URL('./assets/', import.meta.url);
const CONTENT_TYPES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'views.js': 'text/javascript; charset=utf-8',
  'detail.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};
/** Scripts and styles from this server only, no inline code; data from its API. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'self'; form-action 'none'; frame-ancestors 'none'";

interface PageRequest {
  originalUrl: string;
}
interface PageResponse {
  header(name: string, value: string): unknown;
  send(body: string): unknown;
}

/**
 * The dashboard: one page and its scripts, mounted at the `dashboardPath` extra behind the
 * module's guards like every other route; it reads and acts through the REST API, so a
 * cancel or retry from the page obeys the same rules as one over HTTP.
 */
@ApiExcludeController()
export class DashboardController {
  /** Set by the factory: where the dashboard and the API are mounted (without the app's global prefix). */
  static paths = { dashboard: 'tasks-dashboard', api: 'api/tasks' };

  @Get()
  @Header('cache-control', 'no-store')
  async page(@Req() request: PageRequest, @Res() response: PageResponse): Promise<void> {
    const { dashboard, api } = (this.constructor as typeof DashboardController).paths;
    // The app may add a global prefix: it is whatever precedes the dashboard's own path.
    const path = request.originalUrl.split('?')[0].replace(/\/+$/, '');
    const globalPrefix = path.slice(0, path.length - dashboard.length - 1);
    const html = (await readFile(new URL('index.html', ASSETS), 'utf8'))
      .replaceAll('{{BASE}}', escapeAttribute(`${path}/`))
      .replaceAll('{{API}}', escapeAttribute(`${globalPrefix}/${api}`));
    response.header('content-type', 'text/html; charset=utf-8');
    response.header('content-security-policy', CSP);
    response.header('x-content-type-options', 'nosniff');
    response.send(html);
  }

  @Get('assets/:file')
  @Header('cache-control', 'no-cache')
  async asset(@Param('file') file: string, @Res() response: PageResponse): Promise<void> {
    const contentType = CONTENT_TYPES[file];
    if (!contentType) throw new NotFoundException(`No dashboard asset ${file}`);
    response.header('content-type', contentType);
    response.header('x-content-type-options', 'nosniff');
    response.send(await readFile(new URL(file, ASSETS), 'utf8'));
  }
}

function escapeAttribute(value: string): string {
  return value.replace(/[&"<>]/g, (character) => `&#${character.charCodeAt(0)};`);
}
