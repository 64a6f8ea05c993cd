import { Injectable, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOperation, DECORATORS, type ApiBodyOptions } from '@nestjs/swagger';
import { TaskHandlerRegistry, type RegisteredTaskHandler } from '../task-handler.registry.js';
import { EnqueueBulkDto } from './dto/enqueue-bulk.dto.js';
import { EnqueueTaskDto } from './dto/enqueue-task.dto.js';
import { ENQUEUE_OPERATION, TasksController } from './tasks.controller.js';
import { WorkflowRequestDto } from './dto/workflow.dto.js';
import { WorkflowsController } from './workflows.controller.js';

/** DTOs already added to the document (bootstraps in one process share the controller class). */
const documented = new Set<Type<object>>();
/** Most request examples listed for the enqueue route. */
const MAX_EXAMPLES = 10;

/**
 * Documents what only the registered handlers tell: each params DTO becomes a schema of the
 * document, linked from the enqueue route; and the enqueue and bulk routes get request
 * examples that name registered tasks with params their DTOs accept (from the DTOs' own
 * `@ApiProperty({ example })`), so Swagger UI's "Try it out" succeeds as shown. Runs once the
 * explorer has registered the handlers, before the host serves its document.
 */
@Injectable()
export class SwaggerDocumenter implements OnApplicationBootstrap {
  constructor(private readonly registry: TaskHandlerRegistry) {}

  onApplicationBootstrap(): void {
    const handlers = this.registry.all();
    documentParamsSchemas(handlers);
    documentRequestExamples(handlers);
  }
}

function documentParamsSchemas(handlers: RegisteredTaskHandler[]): void {
  const typed = handlers.filter((handler): handler is RegisteredTaskHandler & { paramsType: Type<object> } => !!handler.paramsType);
  if (typed.length === 0) return;
  const target = TasksController.prototype;
  const descriptor = Object.getOwnPropertyDescriptor(target, 'enqueue')!;
  const added = [...new Set(typed.map((handler) => handler.paramsType))].filter((type) => !documented.has(type));
  if (added.length > 0) ApiExtraModels(...added)(target, 'enqueue', descriptor);
  for (const type of added) documented.add(type);
  const lines = typed.map((handler) => `- \`${handler.taskName}\`: [${handler.paramsType.name}](#/components/schemas/${handler.paramsType.name})`);
  ApiOperation({
    ...ENQUEUE_OPERATION,
    description: `${ENQUEUE_OPERATION.description}\n\n\`params\` is validated against the schema of its task:\n${lines.join('\n')}`,
  })(target, 'enqueue', descriptor);
}

function documentRequestExamples(handlers: RegisteredTaskHandler[]): void {
  const open = handlers.filter((handler) => handler.enqueue === 'api');
  if (open.length === 0) return;
  const bodies = open.slice(0, MAX_EXAMPLES).map((handler) => ({ task_name: handler.taskName, params: exampleParams(handler.paramsType) }));
  const target = TasksController.prototype;
  const examples = Object.fromEntries(bodies.map((body) => [body.task_name, { summary: body.task_name, value: body }]));
  documentBody(target, 'enqueue', { type: EnqueueTaskDto, examples });
  documentBody(target, 'enqueueBulk', { type: EnqueueBulkDto, examples: { tasks: { summary: 'Registered tasks, at once', value: { tasks: bodies.slice(0, 3) } } } });
  const workflowExamples = { chain: { summary: 'A chain of registered tasks', value: { chain: bodies.slice(0, 2) } } };
  documentBody(WorkflowsController.prototype, 'createWorkflow', { type: WorkflowRequestDto, examples: workflowExamples });
}

/**
 * Documents `body` as the route's request body in place of one documented before: the
 * document takes the first, and the bulk route declares its body statically (its parameter is
 * not typed by the DTO), as may an earlier bootstrap in the same process.
 */
function documentBody(target: object, method: string, body: ApiBodyOptions): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, method)!;
  const parameters: { in?: string }[] = Reflect.getMetadata(DECORATORS.API_PARAMETERS, descriptor.value) ?? [];
  Reflect.defineMetadata(DECORATORS.API_PARAMETERS, parameters.filter((parameter) => parameter.in !== 'body'), descriptor.value);
  ApiBody(body)(target, method, descriptor);
}

/** Params built from the `example` of each `@ApiProperty` of the DTO; `{}` for a task without one. */
function exampleParams(type: Type<object> | undefined): Record<string, unknown> {
  if (!type) return {};
  const names: string[] = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, type.prototype) ?? [];
  const entries = names.map((name) => name.replace(/^:/, '')).map((name) => {
    const property = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, type.prototype, name) as { example?: unknown } | undefined;
    return [name, property?.example] as const;
  });
  return Object.fromEntries(entries.filter(([, example]) => example !== undefined));
}
