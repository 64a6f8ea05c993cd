import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { BackgroundTask } from 'tasks-module';
import { TASKS_MIGRATIONS } from 'tasks-module/migrations';

/** The default database of the demo and the CLI. */
export const DEFAULT_DATABASE_URL = 'mysql://root@127.0.0.1:3306/tasks';

/** TypeORM options for a MySQL/MariaDB database at `url`: the tasks entity and migrations, never `synchronize`. */
export function tasksDataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'mysql',
    url,
    entities: [BackgroundTask],
    migrations: TASKS_MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    // Pool sized for a worker process with a few concurrent handlers plus the API.
    poolSize: 20,
    // Fail fast when MySQL is unreachable, so the API answers 503 within a second.
    connectTimeout: 1000,
  };
}

/** The data source the TypeORM CLI uses (`npm run migration:run`), from DATABASE_URL. */
export default new DataSource(tasksDataSourceOptions(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL));
