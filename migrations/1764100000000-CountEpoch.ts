import type { MigrationInterface } from 'typeorm';

/**
 * Before 0.2 this added `count_epoch`, the batch writer's marker that told the counter trigger
 * "counted already". Counts need no trigger since migration 7 (which drops the column where it
 * exists), so this does nothing now; it stays so that databases that ran it see the same list.
 */
export class CountEpoch1764100000000 implements MigrationInterface {
  name = 'CountEpoch1764100000000';

  async up(): Promise<void> {}

  async down(): Promise<void> {}
}
