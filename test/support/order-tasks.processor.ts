import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { TaskHandler, TaskProcessor, type TaskContext, type TaskQueueOptions } from '../../src/tasks/index.js';

/**
 * The queues of the test apps: `test` for the fixture handlers, and the four task types of the
 * reference contract (its list and count filters, its monitoring SQL).
 */
export const FIXTURE_QUEUES: TaskQueueOptions[] = [
  { name: 'test', taskType: 'test', defaultPriority: 5, concurrency: 1 },
  { name: 'email', taskType: 'email', defaultPriority: 3, concurrency: 10 },
  { name: 'reports', taskType: 'report', defaultPriority: 5, concurrency: 2 },
  { name: 'analytics', taskType: 'analytics', defaultPriority: 2, concurrency: 2 },
  { name: 'cleanup', taskType: 'cleanup', defaultPriority: 1, concurrency: 1 },
];

/** Params of `orders.send_confirmation`: enqueue validates them (typed params). */
export class OrderConfirmationParams {
  @ApiProperty({ example: 'ord_12345', maxLength: 100 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  order_id!: string;

  @ApiProperty({ example: 'user@example.com', format: 'email' })
  @IsEmail({}, { message: 'recipient_email must be an e-mail address' })
  recipient_email!: string;
}

/** A handler with typed params on the `email` queue, present in every test app. */
@TaskProcessor('email')
export class OrderTasks {
  @TaskHandler('orders.send_confirmation', { params: OrderConfirmationParams })
  sendConfirmation(params: OrderConfirmationParams, context: TaskContext) {
    return { status: 'success', order_id: params.order_id, recipient: params.recipient_email, attempt: context.attempt };
  }
}
