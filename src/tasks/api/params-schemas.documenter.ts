import { Injectable, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOperation } from '@nestjs/swagger';
import { TaskHandlerRegistry, type RegisteredTaskHandler } from '../task-handler.registry.js';
import { ENQUEUE_OPERATION, TasksController } from './tasks.controller.js';

/** DTOs already added to the document (bootstraps in one process share the controller class). */
const documented = new Set<Type<object>>();

/**
 * Shows the params DTOs of the registered handlers in Swagger: each becomes a schema of the
 * document (an extra model of the enqueue route), and the enqueue description says which
 * task takes which schema. Runs once the explorer has registered the handlers, before the
 * host serves its document.
 */
@Injectable()
export class ParamsSchemasDocumenter implements OnApplicationBootstrap {
  constructor(private readonly registry: TaskHandlerRegistry) {}

  onApplicationBootstrap(): void {
    documentParamsSchemas(this.registry.all());
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
