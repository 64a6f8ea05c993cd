import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsIn, IsObject, IsOptional } from 'class-validator';

/**
 * Body of `POST /workflows`: exactly one of `chain`, `group`, `chord` (with `callback`). Each
 * item is a task as `POST /enqueue` takes it (without delay_seconds, run_at, idempotency_key, expires_in_seconds, expires_at)
 * or a nested `{ chain }`, `{ group }` or `{ chord, callback }`.
 */
export class WorkflowRequestDto {
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'Steps run one after another; each receives the previous result.' })
  @IsOptional()
  @IsArray()
  chain?: unknown[];

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'Members run at once; the result is their results in order.' })
  @IsOptional()
  @IsArray()
  group?: unknown[];

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'A group whose results go to `callback`.' })
  @IsOptional()
  @IsArray()
  chord?: unknown[];

  @ApiPropertyOptional({ type: 'object', description: "A chord's callback: a task or a nested workflow.", additionalProperties: true })
  @IsOptional()
  @IsObject()
  callback?: unknown;

  @ApiPropertyOptional({ enum: ['fail', 'continue'], default: 'fail', description: 'Groups and chords: `fail` fails once all members finished if any failed; `continue` completes with every outcome.' })
  @IsOptional()
  @IsIn(['fail', 'continue'])
  on_member_failure?: 'fail' | 'continue';

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'The whole workflow only: a task (as POST /enqueue takes it, without delay or expiry) that runs if the workflow fails, receiving ' +
      '`{ workflow_id, error_type, error_message }` as its previous result (Celery\'s link_error); cancelled when the workflow completes or is cancelled. Runs once.',
  })
  @IsOptional()
  @IsObject()
  on_failure?: unknown;
}

export class WorkflowNodeDto {
  @ApiProperty() task_id!: string;
  @ApiProperty({ example: 'workflow.chain' }) task_name!: string;
  @ApiProperty({ example: 'chain[1]', description: 'Where the row sits in the tree (`workflow` for the root).' }) path!: string;
  @ApiProperty({ type: String, nullable: true }) parent_id!: string | null;
  @ApiProperty({ description: 'A task that runs now (the others wait for their predecessors).' }) released!: boolean;
}

export class CreatedWorkflowResponseDto {
  @ApiProperty({ description: 'The workflow row: GET /api/tasks/{workflow_id} shows its status, steps and summary.' }) workflow_id!: string;
  @ApiProperty({ enum: ['chain', 'group', 'chord'] }) kind!: 'chain' | 'group' | 'chord';
  @ApiProperty({ example: 'Workflow created with 3 task(s)' }) message!: string;
  @ApiProperty({ type: [WorkflowNodeDto] }) nodes!: WorkflowNodeDto[];
}
