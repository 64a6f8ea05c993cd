import { it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { tasksDataSourceOptions } from '../../migrations/data-source.js';
import { startPrivateMariaDb } from '../support/private-services.js';

it('scratch: migrations on a production-like MariaDB', async () => {
  const server = await startPrivateMariaDb();
  try {
    const url = await server.createAppDatabase('tasks_prod');
    const ds = await new DataSource(tasksDataSourceOptions(url)).initialize();
    try {
      console.log(await ds.query('SELECT @@log_bin AS log_bin, @@sql_mode AS mode, @@log_bin_trust_function_creators AS trust, CURRENT_USER() AS user'));
      await ds.runMigrations();
      console.log('migrated');
    } catch (error) {
      console.log('FAILED', (error as Error).message);
    } finally {
      await ds.destroy();
    }
  } finally {
    await server.destroy();
  }
}, 120_000);
