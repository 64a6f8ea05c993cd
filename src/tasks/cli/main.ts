#!/usr/bin/env node
import 'reflect-metadata';
import { HttpException, Logger, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { TasksService } from '../tasks.service.js';
import { SERVICE_COMMANDS, UsageError } from './cli-commands.js';
import { runMigrations } from './cli-migrate.js';

const USAGE = `Usage: tasks-module <command> [options]

Commands (against the application named by --app or TASKS_APP_MODULE):
  status <task_id> [--wait 30s]       one task (with --wait: once it is final, or when the wait runs out)
  list [--status S] [--type T] [--error-type E] [--limit N] [--cursor C]
  stats [--type T] [--name N] [--window 24h]
  cancel <task_id>
  retry <task_id>
  retry --type T [--error-type E] [--name N]   retry every failed task of that type (class, name)
  delete <task_id>                    delete a finished task (a workflow whole, by its id)
  purge --older-than 30d              delete finished tasks older than that
  purge --type T [--name N]           cancel every waiting task of that type (and name)
  schedules                           periodic tasks and their next run
  workers [--type T]                  the workers serving each queue now, over every process
  worker [--queues email,reports]     run workers (all queues with handlers by default)
Without the application:
  migrate                             run TasksModule's migrations on DATABASE_URL

Options:
  --app <file[#Export]>  the compiled module that imports TasksModule (default export: AppModule)
  --json                 JSON instead of tables
Environment: as the application's (DATABASE_URL, REDIS_URL, ...); TASKS_APP_MODULE for --app.`;

const OPTIONS = {
  app: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  status: { type: 'string' }, type: { type: 'string' }, 'error-type': { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' },
  name: { type: 'string' }, window: { type: 'string' }, 'older-than': { type: 'string' }, queues: { type: 'string' }, wait: { type: 'string' },
} as const;

async function main(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, ...args] = positionals;
  if (flags.help || !command) return console.log(USAGE), command || flags.help ? 0 : 2;
  if (command === 'migrate') return runMigrations(flags.json === true);
  if (command === 'worker') return runWorker(flags.app, flags.queues);
  const run = SERVICE_COMMANDS[command];
  if (!run) throw new UsageError(`unknown command "${command}"`);
  // A client of the application: no workers, no schedules, no probe port in this process.
  process.env.TASKS_ROLE = 'api';
  delete process.env.TASKS_PROBE_PORT;
  const app = await createContext(flags.app);
  try {
    await run({ args, flags, tasks: app.get(TasksService) });
    return 0;
  } finally {
    await app.close();
  }
}

/** Runs the application's workers until SIGTERM/SIGINT (then drains them, as any worker process does). */
async function runWorker(appModule: string | undefined, queues: string | undefined): Promise<number> {
  process.env.TASKS_ROLE = 'worker';
  if (queues) process.env.TASKS_WORKER_QUEUES = queues;
  const app = await createContext(appModule, ['log', 'error', 'warn']);
  app.enableShutdownHooks();
  Logger.log(`Worker running${queues ? ` on ${queues}` : ''}; stop with SIGTERM`, 'tasks-module');
  return new Promise<number>(() => undefined);
}

async function createContext(appModule: string | undefined, logger: Array<'log' | 'error' | 'warn'> = ['error', 'warn']): Promise<INestApplicationContext> {
  const spec = appModule ?? process.env.TASKS_APP_MODULE;
  if (!spec) throw new UsageError('name the application module with --app <file> or TASKS_APP_MODULE (e.g. dist/app.module.js)');
  const [file, exportName = 'AppModule'] = spec.split('#');
  const loaded = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  const module = loaded[exportName] as Type | undefined;
  if (typeof module !== 'function') throw new UsageError(`${file} exports no ${exportName}`);
  return NestFactory.createApplicationContext(module, { logger });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`tasks-module: ${(error as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    const body = error instanceof HttpException ? (error.getResponse() as { message?: unknown }).message : undefined;
    const message = Array.isArray(body) ? body.join('; ') : typeof body === 'string' ? body : (error as Error).message;
    console.error(`tasks-module: ${message}`);
    process.exit(1);
  },
);
