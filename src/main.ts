import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { validateAppConfig } from './config/app.config.js';
import { MAX_BULK_REQUEST_BYTES, waitForRedis } from 'tasks-module';
import { explainStartupError, prepareDatabase } from './config/startup.js';
import { setupSwagger } from './swagger.js';

/** Starts the demo: creates the database if needed, migrates it, serves the API and Swagger UI. */
async function bootstrap(): Promise<void> {
  const config = validateAppConfig(process.env);
  // Redis is asked while the database is prepared, so an unreachable one is reported as soon as
  // the migrations are done rather than a whole wait after them; a MySQL problem still comes
  // first and at once, and no exit cuts a migration short. (The module asks again as it starts.)
  const redis = waitForRedis(config.REDIS_URL);
  redis.catch(() => undefined);
  await prepareDatabase(config.DATABASE_URL);
  await redis;
  if (config.TASKS_ROLE === 'worker') {
    // A worker serves no routes: no HTTP server, so many can share a host.
    const worker = await NestFactory.createApplicationContext(AppModule);
    worker.enableShutdownHooks();
    Logger.log('Worker started (TASKS_ROLE=worker)', 'Bootstrap');
    return;
  }
  // JSON bodies only (no form encodings: a cross-site form cannot post to the API); room for a
  // bulk enqueue of 1,000 tasks; the module's guard keeps the other routes at 100 KB. Not strict:
  // a body of `null`, a string or a number reaches the routes, which answer "the body must be a
  // JSON object"; in strict mode body-parser refuses it as a JSON syntax error, which it is not.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false });
  app.useBodyParser('json', { limit: MAX_BULK_REQUEST_BYTES, strict: false });
  app.enableShutdownHooks();
  setupSwagger(app);
  await app.listen(config.PORT);
  Logger.log(`Listening on http://localhost:${config.PORT} (Swagger UI at /docs)`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // One line that says what failed and which variable sets it, then a non-zero exit.
  console.error(`Startup failed: ${explainStartupError(error)}`);
  process.exit(1);
});
