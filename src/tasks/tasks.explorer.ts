import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { TaskContext } from './interfaces/task-context.interface.js';
import { TASKS_OPTIONS, type ResolvedTasksOptions } from './tasks.options.js';
import { InvalidTasksOptionsError, TaskHandlerOutsideProcessorError, UnknownTaskQueueError } from './errors/tasks.errors.js';
import { mergeRetryStrategies, retryStrategiesProblems } from './failures/retry-policy.js';
import { scheduleProblems } from './schedules/task-schedule.validator.js';
import { documentParamsSchemas } from './api/params-schemas.documenter.js';
import { TaskHandlerRegistry } from './task-handler.registry.js';
import { TasksMetadataAccessor } from './tasks-metadata.accessor.js';

/**
 * Finds every `@TaskProcessor` provider at bootstrap and registers its `@TaskHandler`
 * methods. Fails the bootstrap with a typed error on a duplicate task name, a processor on
 * an unknown queue, or a handler on a class that is not a processor.
 */
@Injectable()
export class TasksExplorer implements OnModuleInit {
  private readonly logger = new Logger('TasksModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: TasksMetadataAccessor,
    private readonly registry: TaskHandlerRegistry,
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) this.explore(wrapper);
    documentParamsSchemas(this.registry.all());
  }

  private explore(wrapper: InstanceWrapper): void {
    const { instance, metatype } = wrapper;
    if (!instance || typeof instance !== 'object' || !metatype || typeof metatype !== 'function') return;
    const prototype = Object.getPrototypeOf(instance) as object;
    const processor = this.metadata.getProcessorMetadata(instance.constructor);
    const handlerMethods = this.scanner
      .getAllMethodNames(prototype)
      .filter((name) => this.metadata.getHandlerMetadata((prototype as Record<string, Function>)[name]));
    if (!processor) {
      if (handlerMethods.length > 0) {
        throw new TaskHandlerOutsideProcessorError(instance.constructor.name, handlerMethods[0]);
      }
      return;
    }
    if (!wrapper.isDependencyTreeStatic()) {
      this.logger.warn(`${wrapper.name} is request-scoped; task processors must be singletons. Skipped.`);
      return;
    }
    const queue = this.options.queues.find((candidate) => candidate.name === processor.queue);
    if (!queue) {
      const known = this.options.queues.map((candidate) => candidate.name);
      throw new UnknownTaskQueueError(instance.constructor.name, processor.queue, known);
    }
    for (const method of handlerMethods) {
      const fn = (instance as Record<string, Function>)[method];
      const { taskName, timeoutSeconds, retry, params, schedule } = this.metadata.getHandlerMetadata(fn)!;
      const location = `${instance.constructor.name}.${method}`;
      const problems = [
        ...(timeoutSeconds !== undefined && !(timeoutSeconds > 0) ? [`${location}: timeoutSeconds must be > 0`] : []),
        ...retryStrategiesProblems(retry, `${location} retry`),
        ...(schedule ? scheduleProblems({ ...schedule, name: schedule.name ?? taskName, taskName }, `${location} schedule`) : []),
      ];
      if (problems.length > 0) throw new InvalidTasksOptionsError(problems.join('; '));
      this.registry.register({
        taskName,
        queue,
        location,
        timeoutSeconds,
        retryStrategies: mergeRetryStrategies(this.options.retryStrategies, retry),
        paramsType: params,
        schedule: schedule && { ...schedule, name: schedule.name ?? taskName, taskName },
        invoke: async (params: Record<string, unknown>, context: TaskContext) => fn.call(instance, params, context),
      });
      this.logger.log(`${location} -> ${taskName} (queue ${queue.name})`);
    }
  }
}
