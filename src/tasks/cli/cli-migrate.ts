import { DataSource } from 'typeorm';
import { TASKS_MIGRATIONS } from 'tasks-module/migrations';
import { BackgroundTask } from '../store/background-task.entity.js';

/** Runs TasksModule's pending migrations on DATABASE_URL (the database must exist); prints what ran. */
export async function runMigrations(json: boolean): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (mysql://user:password@host:3306/database)');
  const dataSource = await new DataSource({ type: 'mysql', url, entities: [BackgroundTask], migrations: TASKS_MIGRATIONS, logging: false }).initialize();
  try {
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    if (json) console.log(JSON.stringify({ migrations: ran.map((migration) => migration.name) }));
    else console.log(ran.length === 0 ? 'No pending migration' : ran.map((migration) => `Ran ${migration.name}`).join('\n'));
    return 0;
  } finally {
    await dataSource.destroy();
  }
}
