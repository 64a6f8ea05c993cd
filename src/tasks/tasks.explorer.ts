import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { TaskHandlerMetadata } from './decorators/task-handler.decorator.js';
import { InvalidTasksOptionsError, TaskHandlerOutsideProcessorError, UnknownTaskQueueError } from './errors/bootstrap.errors.js';
import { mergeRetryStrategies, retryStrategiesProblems } from './failures/retry-policy.js';
import type { TaskContext } from './interfaces/task-context.interface.js';
import type { ResolvedTasksOptions, TaskQueueOptions } from './interfaces/tasks-module-options.interface.js';
import { expiresInSecondsProblem, scheduleProblems } from './schedules/task-schedule.validator.js';
import { TaskHandlerRegistry } from './task-handler.registry.js';
import { MAX_PRIORITY, MAX_RETRIES_LIMIT, MIN_PRIORITY } from './tasks.constants.js';
import { TASKS_OPTIONS } from './tasks.module-definition.js';
import { isIntegerIn } from './tasks.options.js';
import { TasksMetadataAccessor } from './tasks-metadata.accessor.js';

type Method = (...args: unknown[]) => unknown;

/**
 * Finds every `@TaskProcessor` provider at bootstrap and registers its `@TaskHandler`
 * methods. Fails the bootstrap with a typed error on a duplicate task name, a processor on
 * an unknown queue, a handler on a class that is not a processor, or invalid handler settings.
 */
@Injectable()
export class TasksExplorer implements OnModuleInit {
  private readonly logger = new Logger(TasksExplorer.name);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: TasksMetadataAccessor,
    private readonly registry: TaskHandlerRegistry,
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) this.explore(wrapper);
  }

  private explore(wrapper: InstanceWrapper): void {
    const { instance, metatype } = wrapper;
    if (!instance || typeof instance !== 'object' || !metatype || typeof metatype !== 'function') return;
    const prototype = Object.getPrototypeOf(instance) as Record<string, Method>;
    const className = instance.constructor.name;
    const processor = this.metadata.getProcessorMetadata(instance.constructor);
    const methods = this.scanner.getAllMethodNames(prototype).filter((name) => this.metadata.getHandlerMetadata(prototype[name]));
    if (!processor) {
      if (methods.length > 0) throw new TaskHandlerOutsideProcessorError(className, methods[0]);
      return;
    }
    if (!wrapper.isDependencyTreeStatic()) {
      this.logger.warn(`${wrapper.name} is request-scoped; task processors must be singletons. Skipped.`);
      return;
    }
    const queue = this.options.queues.find((candidate) => candidate.name === processor.queue);
    if (!queue) throw new UnknownTaskQueueError(className, processor.queue, this.options.queues.map((candidate) => candidate.name));
    for (const method of methods) this.register(instance as Record<string, Method>, className, method, queue);
  }

  private register(instance: Record<string, Method>, className: string, method: string, queue: TaskQueueOptions): void {
    const fn = instance[method];
    const metadata = this.metadata.getHandlerMetadata(fn)!;
    const { taskName, timeoutSeconds, retry, params } = metadata;
    const location = `${className}.${method}`;
    const schedule = metadata.schedule && { ...metadata.schedule, name: metadata.schedule.name ?? taskName, taskName };
    const problems = handlerProblems(metadata, location, this.options.maxDelaySeconds);
    if (problems.length > 0) throw new InvalidTasksOptionsError(problems.join('; '));
    this.registry.register({
      taskName,
      queue,
      location,
      timeoutSeconds,
      defaults: { maxRetries: metadata.maxRetries, priority: metadata.priority, expiresInSeconds: metadata.expiresInSeconds },
      retryStrategies: mergeRetryStrategies(this.options.retryStrategies, retry),
      paramsType: params,
      schedule,
      enqueue: metadata.enqueue ?? 'api',
      invoke: async (taskParams: Record<string, unknown>, context: TaskContext) => fn.call(instance, taskParams, context),
    });
    this.logger.log(`${location} -> ${taskName} (queue ${queue.name})`);
  }
}

/** What is wrong with a handler's own settings. */
function handlerProblems(metadata: TaskHandlerMetadata, location: string, maxDelaySeconds: number): string[] {
  const { taskName, timeoutSeconds, retry, schedule, enqueue } = metadata;
  return [
    ...(timeoutSeconds !== undefined && !(timeoutSeconds > 0) ? [`${location}: timeoutSeconds must be > 0`] : []),
    ...handlerDefaultsProblems(metadata, maxDelaySeconds).map((problem) => `${location}: ${problem}`),
    ...(enqueue !== undefined && enqueue !== 'api' && enqueue !== 'internal' ? [`${location}: enqueue must be 'api' or 'internal'`] : []),
    ...retryStrategiesProblems(retry, `${location} retry`),
    ...(schedule ? scheduleProblems({ ...schedule, name: schedule.name ?? taskName, taskName }, `${location} schedule`, maxDelaySeconds) : []),
  ];
}

/** What is wrong with a handler's defaults for the tasks enqueued without their own. */
function handlerDefaultsProblems({ maxRetries, priority, expiresInSeconds }: TaskHandlerMetadata, maxDelaySeconds: number): string[] {
  return [
    ...(maxRetries !== undefined && !isIntegerIn(maxRetries, 0, MAX_RETRIES_LIMIT) ? [`maxRetries must be an integer from 0 to ${MAX_RETRIES_LIMIT}`] : []),
    ...(priority !== undefined && !isIntegerIn(priority, MIN_PRIORITY, MAX_PRIORITY) ? [`priority must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`] : []),
    ...[expiresInSecondsProblem(expiresInSeconds, maxDelaySeconds)].filter((problem) => problem !== undefined),
  ];
}
