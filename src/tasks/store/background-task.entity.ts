import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TaskErrorType } from '../failures/task-error-type.js';
import { TaskStatus } from '../lifecycle/task-status.js';

/** The table every task lives in; monitoring SQL queries it by this name. */
export const BACKGROUND_TASKS_TABLE = 'background_tasks';

/**
 * One background task: the durable record of it from enqueue to its final state.
 *
 * Columns are the reference schema's, and its `idx_task_id` (its `UNIQUE` on task_id and its
 * `idx_task_id` are one unique index here, so each insert maintains one index, not two). Its
 * other indexes went where no query read them (migrations 11 and 12), each being one more entry
 * to rewrite at every status change. The `*_created` indexes serve newest-first listing
 * filtered by status, type and/or failure class (InnoDB appends the primary key to each
 * secondary index, so `created_at DESC, id DESC` is read in index order). Not mapped here:
 * `error_status`, a virtual column (the status of a row that has a failure class, else NULL),
 * and `idx_error_type_status_created` (error_type, error_status, created_at) over it, both
 * made by migration 12; an entity with a generated column would make TypeORM keep a
 * `typeorm_metadata` table in the host's database.
 * Timestamps carry milliseconds so the order of events within a second is kept.
 */
@Entity({ name: BACKGROUND_TASKS_TABLE })
@Index('idx_task_id', ['taskId'], { unique: true })
@Index('idx_created', ['createdAt'])
@Index('idx_status_created', ['status', 'createdAt'])
@Index('idx_type_created', ['taskType', 'createdAt'])
@Index('idx_type_status_created', ['taskType', 'status', 'createdAt'])
@Index('idx_idempotency_key', ['idempotencyKey'], { unique: true })
@Index('idx_error_type_created', ['errorType', 'createdAt'])
@Index('idx_workflow_created', ['workflowId', 'createdAt'])
export class BackgroundTask {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  /** UUID; also the BullMQ job id. */
  @Column({ name: 'task_id', type: 'varchar', length: 255 })
  taskId!: string;

  @Column({ name: 'task_name', type: 'varchar', length: 255 })
  taskName!: string;

  @Column({ name: 'task_type', type: 'varchar', length: 100 })
  taskType!: string;

  /** 1..10, 10 runs first. */
  @Column({ type: 'int', default: 5 })
  priority!: number;

  @Column({ type: 'enum', enum: TaskStatus, default: TaskStatus.Pending })
  status!: TaskStatus;

  @Column({ type: 'json', nullable: true })
  params!: Record<string, unknown> | null;

  @Column({ type: 'json', nullable: true })
  result!: unknown;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  /** Failed attempts that were retried. */
  @Column({ name: 'retry_count', type: 'int', default: 0 })
  retryCount!: number;

  @Column({ name: 'max_retries', type: 'int', default: 3 })
  maxRetries!: number;

  @Column({ name: 'created_at', type: 'timestamp', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamp', precision: 3, nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'completed_at', type: 'timestamp', precision: 3, nullable: true })
  completedAt!: Date | null;

  /** Latest progress the handler reported (0..100), null before the first report. */
  @Column({ type: 'tinyint', unsigned: true, nullable: true })
  progress!: number | null;

  @Column({ name: 'progress_message', type: 'varchar', length: 500, nullable: true })
  progressMessage!: string | null;

  /** Class of the last failure (timeout, network, …); null while no attempt has failed. */
  @Column({ name: 'error_type', type: 'enum', enum: TaskErrorType, nullable: true })
  errorType!: TaskErrorType | null;

  /** When a delayed task, or the next attempt after a failure, is due; null for "at once". */
  @Column({ name: 'run_at', type: 'timestamp', precision: 3, nullable: true })
  runAt!: Date | null;

  /** The time limit of each attempt, when the enqueue set one (else the handler's). */
  @Column({ name: 'timeout_seconds', type: 'int', nullable: true })
  timeoutSeconds!: number | null;

  /** Unique when set: a second enqueue with the same key returns this task. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey!: string | null;

  /** The workflow this task is a step or member of (its root's id); null for a plain task and for a root. */
  @Column({ name: 'workflow_id', type: 'varchar', length: 255, nullable: true })
  workflowId!: string | null;

  /** The chain or group that holds this node; null for a plain task and for a root. */
  @Column({ name: 'parent_id', type: 'varchar', length: 255, nullable: true })
  parentId!: string | null;

  /** The node's place in its parent (0 first). */
  @Column({ type: 'smallint', unsigned: true, nullable: true })
  position!: number | null;

  /** A workflow step still waiting for its predecessors (it has no job yet). */
  @Column({ type: 'boolean', default: false })
  blocked!: boolean;

  /** What the step received from its predecessors: the previous step's result, or a group's results in order. */
  @Column({ type: 'json', nullable: true })
  input!: unknown;

  /** A task not started by then is not started (cancelled as expired); null: no expiry. */
  @Column({ name: 'expires_at', type: 'timestamp', precision: 3, nullable: true })
  expiresAt!: Date | null;

  /**
   * The singleton key the task was enqueued with, for reading only: which task holds a key is
   * decided in `background_task_singletons` (see store/singleton-keys.ts), so no index here.
   */
  @Column({ name: 'singleton_key', type: 'varchar', length: 255, nullable: true })
  singletonKey!: string | null;
}
