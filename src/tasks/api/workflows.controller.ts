import { Body, ForbiddenException, HttpCode, HttpStatus, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiCreatedResponse, ApiForbiddenResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InvalidTaskRequestError } from '../errors/tasks.errors.js';
import { TaskHandlerRegistry } from '../task-handler.registry.js';
import { TasksService } from '../tasks.service.js';
import { CreatedWorkflowResponseDto, ErrorResponseDto, WorkflowRequestDto } from './dto/index.js';
import { RequestHygieneGuard } from './request-hygiene.guard.js';
import { TasksExceptionFilter } from './tasks-exception.filter.js';
import { parseWorkflowBody } from './workflow-request.js';
import { ShallowBodyPipe, type ShallowBody } from './shallow-body.pipe.js';

/** `POST /workflows`: chains, groups and chords as one tree (mounted under the tasks prefix). */
@ApiTags('tasks')
@UseGuards(RequestHygieneGuard)
@UseFilters(TasksExceptionFilter)
export class WorkflowsController {
  constructor(
    private readonly tasks: TasksService,
    private readonly registry: TaskHandlerRegistry,
  ) {}

  @Post('workflows')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Create a workflow: a chain, group or chord of tasks, nested as deep as 5',
    description:
      'Every task is validated as POST /enqueue validates it, and the whole tree first: a bad workflow creates nothing (400 naming each problem by its path). ' +
      'Every step is an ordinary task row; the workflow is a row too (task_type `workflow`).',
  })
  @ApiCreatedResponse({ type: CreatedWorkflowResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiForbiddenResponse({ description: 'A step names a task that only the application may enqueue.', type: ErrorResponseDto })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto })
  @ApiBody({ type: WorkflowRequestDto })
  // The top level by its DTO, not copied; the tree inside is parseWorkflowBody's (each task by the enqueue DTO).
  async createWorkflow(@Body(new ShallowBodyPipe(WorkflowRequestDto)) body: ShallowBody<WorkflowRequestDto>): Promise<CreatedWorkflowResponseDto> {
    const parsed = await parseWorkflowBody(body, (taskName) => this.registry.find(taskName)?.enqueue === 'internal');
    if ('problems' in parsed) {
      if (parsed.problems.length > 0) throw new InvalidTaskRequestError(parsed.problems);
      throw new ForbiddenException(parsed.internal);
    }
    const workflow = await this.tasks.workflow(parsed.root);
    const tasks = workflow.nodes.filter((node) => !node.taskName.startsWith('workflow.')).length;
    return {
      workflow_id: workflow.workflowId,
      kind: workflow.kind,
      message: `Workflow created with ${tasks} task(s)`,
      nodes: workflow.nodes.map((node) => ({ task_id: node.taskId, task_name: node.taskName, path: node.path, parent_id: node.parentId, released: node.released })),
    };
  }
}
