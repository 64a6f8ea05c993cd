import type { QueryRunner } from 'typeorm';

/**
 * What `background_tasks` has now. DDL is not transactional in MySQL: a migration run that died
 * after some of its ALTERs asks these to do only what is left.
 */
export async function hasIndex(queryRunner: QueryRunner, name: string): Promise<boolean> {
  const rows: unknown[] = await queryRunner.query(
    "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' AND INDEX_NAME = ? LIMIT 1",
    [name],
  );
  return rows.length > 0;
}

export async function hasColumn(queryRunner: QueryRunner, name: string): Promise<boolean> {
  const rows: unknown[] = await queryRunner.query(
    "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' AND COLUMN_NAME = ?",
    [name],
  );
  return rows.length > 0;
}
