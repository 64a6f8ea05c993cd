import type { QueryRunner } from 'typeorm';

/**
 * What `background_tasks` has now. DDL is not transactional in MySQL: a migration run that died
 * after some of its ALTERs asks these to do only what is left.
 */
export async function hasIndex(queryRunner: QueryRunner, name: string): Promise<boolean> {
  return (await indexColumns(queryRunner, name)).length > 0;
}

/** The columns of index `name`, in order; none when there is no such index. */
export async function indexColumns(queryRunner: QueryRunner, name: string): Promise<string[]> {
  const rows: Array<{ COLUMN_NAME: string }> = await queryRunner.query(
    "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' AND INDEX_NAME = ? ORDER BY SEQ_IN_INDEX",
    [name],
  );
  return rows.map((row) => row.COLUMN_NAME);
}

export async function hasColumn(queryRunner: QueryRunner, name: string): Promise<boolean> {
  const rows: unknown[] = await queryRunner.query(
    "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' AND COLUMN_NAME = ?",
    [name],
  );
  return rows.length > 0;
}
