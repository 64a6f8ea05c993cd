import { startPrivateMariaDb, startPrivateRedis } from './private-services.js';

/**
 * `npm run services`: a MariaDB and a Redis of your own from the locally installed binaries
 * (`mariadbd`, `mariadb-install-db`, `redis-server`), for machines without Docker. MariaDB is
 * set up as production servers are (binary logging, MySQL 8's sql_mode) with database `tasks`
 * and an application user that holds ALL on it only. Data lives in a temporary directory and
 * is deleted when you stop this (Ctrl-C).
 */
async function main(): Promise<void> {
  const [mariadb, redis] = await Promise.all([startPrivateMariaDb(), startPrivateRedis()]);
  const databaseUrl = await mariadb.createAppDatabase('tasks');
  console.log('MariaDB and Redis are running. In another shell:');
  console.log(`  export DATABASE_URL=${databaseUrl}`);
  console.log(`  export REDIS_URL=${redis.url}`);
  console.log('  npm start');
  console.log(`(MariaDB root: ${mariadb.url}) Ctrl-C stops both and deletes their data.`);
  const stop = async () => {
    await Promise.all([mariadb.destroy(), redis.destroy()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(`Could not start the services: ${(error as Error).message}`);
  process.exit(1);
});
