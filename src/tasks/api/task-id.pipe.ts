import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A `task_id` path parameter: a UUID (400 otherwise, before any query), in the lower case the
 * module stores, so that every route finds and compares the same id.
 */
@Injectable()
export class TaskIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw new BadRequestException(['task_id must be a UUID']);
    return value.toLowerCase();
  }
}
