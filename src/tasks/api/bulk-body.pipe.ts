import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { validate } from 'class-validator';
import { EnqueueBulkDto } from './dto/enqueue-bulk.dto.js';
import { validationMessages } from './bulk-item.validator.js';

/**
 * The bulk route's body as its parameter declares it: a type, not the DTO class, so that no
 * ValidationPipe takes it (see BulkBodyPipe).
 */
export type BulkBody = Pick<EnqueueBulkDto, 'tasks'>;

/**
 * The body of `POST /enqueue/bulk`, checked by EnqueueBulkDto's own rules (1 to 1,000 tasks in
 * a list) without Nest's ValidationPipe, which copies and walks every value of the body before
 * it validates: class-transformer's copy, its array-gap closing and prototype stripping were
 * 0.65 s of the 1.2 s that a valid 4 MB body held the event loop, every other request waiting.
 * Only `tasks` is taken: the guard has refused any other field, and has checked each item's
 * values as sent (prototype keys among them); each item is validated on its own after
 * (validateBulkItem). The route's parameter is typed so that a ValidationPipe, the module's or
 * the host's global one, leaves it alone (it validates class-typed parameters only).
 */
@Injectable()
export class BulkBodyPipe implements PipeTransform<unknown, Promise<EnqueueBulkDto>> {
  async transform(body: unknown): Promise<EnqueueBulkDto> {
    const dto = new EnqueueBulkDto();
    dto.tasks = (body as { tasks?: unknown[] } | undefined)?.tasks as unknown[];
    const errors = await validate(dto);
    if (errors.length > 0) throw new BadRequestException(errors.flatMap(validationMessages));
    return dto;
  }
}
